package server

import (
	_ "embed"
	"net/http"
)

// openapiDoc is the OpenAPI 3.1 description of the native API.
//
//go:embed openapi.json
var openapiDoc []byte

func (srv *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiDoc)
	return nil
}

package api

import _ "embed" // the OpenAPI document

// OpenAPI is the OpenAPI 3.1 document of every endpoint the server serves
// (openapi.json, served at GET /openapi.json). Tests in this package and
// in internal/server hold it to the routes and to the recorded answers.
//
//go:embed openapi.json
var OpenAPI []byte

// Command go-http is a hello app on net/http.
//
//	GET /        says hello as JSON (the word is GREETING, "hello" unless set)
//	GET /health  says the app is up
//
// cupaas sets PORT; `cupaas env set GREETING=hi` changes the greeting.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		greeting := os.Getenv("GREETING")
		if greeting == "" {
			greeting = "hello"
		}
		json.NewEncoder(w).Encode(map[string]string{"message": greeting + " from go-http"})
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})

	addr := "0.0.0.0:" + port
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}

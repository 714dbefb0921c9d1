package calls_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/graphcomms/graphcomms/calls"
)

// A bot downloads the recording of a completed recordResponse at once, since Graph
// keeps it only briefly. Here a TLS test server stands in for Graph's recording store;
// a real bot passes nil options (or its own HTTPClient) and gets op from the
// operation's Wait.
func ExampleRecordOperation_Download() {
	store := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer token-from-graph" {
			http.Error(w, "recording access token required", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte("RIFF....WAVEfmt "))
	}))
	defer store.Close()

	op := &calls.RecordOperation{
		RecordingLocation:    store.URL + "/recordings/7a1c",
		RecordingAccessToken: "token-from-graph",
		CompletionReason:     calls.RecordCompletionStopToneDetected,
	}
	ctx := context.Background()
	wav, err := op.Download(ctx, &calls.DownloadOptions{HTTPClient: store.Client()})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("downloaded %d bytes: %q\n", len(wav), wav[:4])

	// A location that is not https is refused before anything is sent.
	op.RecordingLocation = "http://recordings.example/7a1c"
	_, err = op.Download(ctx, nil)
	fmt.Println(errors.Is(err, calls.ErrInsecureRecordingLocation))
	fmt.Println(err)

	// A status other than 2xx is a *RecordingError with StatusCode.
	op.RecordingLocation = store.URL + "/recordings/7a1c"
	op.RecordingAccessToken = "expired"
	_, err = op.Download(ctx, &calls.DownloadOptions{HTTPClient: store.Client()})
	var rerr *calls.RecordingError
	if errors.As(err, &rerr) {
		fmt.Println("status", rerr.StatusCode)
	}
	// Output:
	// downloaded 16 bytes: "RIFF"
	// true
	// calls: recording download from http://recordings.example/7a1c: recording location is not https
	// status 401
}

package graph_test

import (
	"errors"
	"fmt"

	"github.com/graphcomms/graphcomms/graph"
)

// An ID taken from a notification is checked before it goes into a URL path; the
// builders of packages calls and meetings do this themselves.
func ExampleValidateID() {
	for _, id := range []string{"7655d15c-4210-4947-8dc8-000000000001", "..", "a/../answer"} {
		fmt.Println(graph.ValidateID(id))
	}
	// Output:
	// <nil>
	// graph: invalid ID "..": a dot segment
	// graph: invalid ID "a/../answer": contains '/'
}

// A bot branches on the kind of Graph error with the predicates, and reads the rest
// from *graph.Error.
func ExampleIsForbidden() {
	err := fmt.Errorf("answering: %w", &graph.Error{StatusCode: 403, Code: "7503", Message: "Application is not authorized"})
	switch {
	case graph.IsForbidden(err):
		var e *graph.Error
		errors.As(err, &e)
		fmt.Println("check the app's permissions:", e.Code, e.Message)
	case graph.IsThrottled(err):
		fmt.Println("slow down")
	}
	// Output:
	// check the app's permissions: 7503 Application is not authorized
}

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/odata"
	"github.com/graphcomms/graphcomms/notifications"
)

// maxInput caps what inspect reads, like the callback handler's body cap.
const maxInput = 16 << 20

func inspect(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "graphcomms inspect: unknown format %q (want text or json)\n", *format)
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(stderr, "graphcomms inspect: at most one FILE")
		return 2
	}
	name := "-"
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "graphcomms inspect: %v\n", err)
			return 1
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		fmt.Fprintf(stderr, "graphcomms inspect: %v\n", err)
		return 1
	}
	if len(data) > maxInput {
		fmt.Fprintf(stderr, "graphcomms inspect: input larger than %d bytes\n", maxInput)
		return 1
	}
	items, err := summarize(data)
	if err != nil {
		fmt.Fprintf(stderr, "graphcomms inspect: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	if *format == "json" {
		out, err := json.MarshalIndent(map[string]any{"notifications": items}, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "graphcomms inspect: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	printText(stdout, items)
	return 0
}

// item is one notification in inspect's JSON output.
type item struct {
	Kind        string        `json:"kind"`
	ChangeType  string        `json:"changeType"`
	ResourceURL string        `json:"resourceUrl"`
	CallID      string        `json:"callId,omitempty"`
	State       string        `json:"state,omitempty"`
	Direction   string        `json:"direction,omitempty"`
	ResultInfo  *resultInfo   `json:"resultInfo,omitempty"`
	ToneInfo    *toneInfo     `json:"toneInfo,omitempty"`
	People      []participant `json:"participants,omitempty"`
	OperationID string        `json:"operationId,omitempty"`
	Type        string        `json:"type,omitempty"`
	Status      string        `json:"status,omitempty"`
	Completion  string        `json:"completionReason,omitempty"`
	SessionID   string        `json:"sessionId,omitempty"`
	From        string        `json:"-"` // text output only
}

type resultInfo struct {
	Code    int32  `json:"code"`
	Subcode int32  `json:"subcode"`
	Message string `json:"message,omitempty"`
}

type toneInfo struct {
	Tone       string `json:"tone"`
	SequenceID int64  `json:"sequenceId"`
}

type participant struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	IsMuted     bool   `json:"isMuted"`
	IsInLobby   bool   `json:"isInLobby"`
}

func summarize(data []byte) ([]item, error) {
	notes, err := notifications.Parse(data)
	if err != nil {
		return nil, err
	}
	items := []item{}
	for _, n := range notes {
		it := item{
			Kind:        string(n.Kind),
			ChangeType:  strings.ToLower(string(n.ChangeType)),
			ResourceURL: n.ResourcePath,
			CallID:      n.CallID,
			OperationID: n.OperationID,
			SessionID:   n.SessionID,
		}
		switch n.Kind {
		case notifications.KindCall:
			if c := n.Call; c != nil {
				it.State, it.Direction = string(c.State), string(c.Direction)
				it.From = c.Source.Identity.DisplayName()
				it.ResultInfo = result(c.ResultInfo)
				if c.ToneInfo.Tone != "" {
					it.ToneInfo = &toneInfo{string(c.ToneInfo.Tone), c.ToneInfo.SequenceID}
				}
			}
		case notifications.KindParticipants:
			it.People = []participant{}
			for _, p := range n.Participants {
				it.People = append(it.People, participant{p.ID, p.DisplayName(), p.IsMuted, p.IsInLobby})
			}
		case notifications.KindOperation:
			b := n.Operation.Base()
			it.Status = strings.ToLower(string(b.Status))
			it.Type = odata.Name(b.ODataType)
			if it.Type == "" {
				it.Type = odata.Name(n.Operation.ODataTypeName())
			}
			it.ResultInfo = result(b.ResultInfo)
			switch op := n.Operation.(type) {
			case *calls.PlayPromptOperation:
				it.Completion = string(op.CompletionReason)
			case *calls.RecordOperation:
				it.Completion = string(op.CompletionReason)
			case *calls.SendDtmfTonesOperation:
				it.Completion = string(op.CompletionReason)
			}
		}
		items = append(items, it)
	}
	return items, nil
}

func result(r calls.ResultInfo) *resultInfo {
	if r.Code == 0 && r.Subcode == 0 && r.Message == "" {
		return nil
	}
	return &resultInfo{r.Code, r.Subcode, r.Message}
}

func printText(w io.Writer, items []item) {
	if len(items) == 0 {
		fmt.Fprintln(w, "no notifications")
		return
	}
	for i, it := range items {
		fmt.Fprintf(w, "#%d %s %s %s\n", i+1, it.Kind, it.ChangeType, it.ResourceURL)
		if it.CallID != "" {
			fmt.Fprintf(w, "   call       %s\n", it.CallID)
		}
		if it.State != "" {
			fmt.Fprintf(w, "   state      %s", it.State)
			if it.Direction != "" {
				fmt.Fprintf(w, " (%s)", it.Direction)
			}
			fmt.Fprintln(w)
		}
		if it.From != "" {
			fmt.Fprintf(w, "   from       %s\n", it.From)
		}
		if it.ToneInfo != nil {
			fmt.Fprintf(w, "   tone       %s (sequence %d)\n", it.ToneInfo.Tone, it.ToneInfo.SequenceID)
		}
		if it.Type != "" {
			fmt.Fprintf(w, "   operation  %s %s: %s\n", it.Type, it.OperationID, it.Status)
		}
		if it.Completion != "" {
			fmt.Fprintf(w, "   completion %s\n", it.Completion)
		}
		if it.ResultInfo != nil {
			ri := calls.ResultInfo{Code: it.ResultInfo.Code, Subcode: it.ResultInfo.Subcode, Message: it.ResultInfo.Message}
			fmt.Fprintf(w, "   result     %s [%s]\n", ri, ri.EndReason())
		}
		for _, p := range it.People {
			flags := ""
			if p.IsMuted {
				flags += " muted"
			}
			if p.IsInLobby {
				flags += " in-lobby"
			}
			fmt.Fprintf(w, "   participant %s %q%s\n", p.ID, p.DisplayName, flags)
		}
		if it.SessionID != "" {
			fmt.Fprintf(w, "   session    %s\n", it.SessionID)
		}
	}
}

package graphcomms_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// A bot that answers, plays a menu, and hangs up on "9". It runs here against the
// emulator; with a real credential, Graph's default base URL and validator, and a
// public https callback URL, the same code serves Teams calls.
func ExampleClient_OnIncoming() {
	emu, _ := emulator.Start(emulator.Config{})
	defer emu.Close()
	adapter, _ := emu.Adapter(auth.AdapterConfig{})

	var client *graphcomms.Client
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { client.ServeHTTP(w, r) }))
	defer srv.Close()
	client, err := graphcomms.New(graphcomms.Config{
		AppID: emu.AppID(), Adapter: adapter, BaseURL: emu.GraphURL(), CallbackURL: srv.URL,
		ValidatorConfig: auth.ValidatorConfig{OpenIDConfigURL: emu.OpenIDConfigURL()},
		Clock:           emu.Clock(),
	})
	if err != nil {
		panic(err)
	}
	defer client.Close()
	emu.SetCallbackURL(srv.URL)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ended := make(chan graphcomms.EndInfo, 1)
	played := make(chan struct{})
	client.OnIncoming(func(call *graphcomms.Call) {
		fmt.Println("incoming call from", call.Resource().Source.Identity.DisplayName())
		call.OnTone(func(t media.ToneInfo) {
			fmt.Printf("key %c\n", t.Tone.Key())
			if t.Tone == media.Tone9 {
				_ = call.HangUp(ctx)
			}
		})
		call.OnTerminated(func(end graphcomms.EndInfo) { ended <- end })
		if err := call.Answer(ctx); err != nil {
			fmt.Println("answer:", err)
			return
		}
		go func() { // long work goes off the call's queue
			if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
				return
			}
			_, _ = call.SubscribeToTone(ctx)
			op, _ := call.PlayPrompt(ctx, []media.Prompt{media.NewMediaPrompt("https://cdn.example.com/menu.wav")})
			if _, err := op.Wait(ctx); err == nil {
				fmt.Println("menu played")
			}
			close(played)
		}()
	})

	alice, _ := emu.AddUser("alice", emulator.Behavior{}).CallBot()
	_, _ = alice.Wait(ctx, emulator.EventPromptStarted)
	emu.Advance(emulator.DefaultPromptDuration)
	<-played
	_ = alice.Press("9")
	end := <-ended
	fmt.Println("ended:", end.Reason)
	// Output:
	// incoming call from Alice
	// menu played
	// key 9
	// ended: botHangUp
}

// A bot that places a call: WithSetup adds the call's handlers before its first event,
// so even a notification that arrives before Create returns reaches them; SetData
// keeps the bot's own data with the call's state (a replica that takes the call over
// reads it back with Data before OnResume).
func ExampleClient_Create() {
	emu, _ := emulator.Start(emulator.Config{})
	defer emu.Close()
	adapter, _ := emu.Adapter(auth.AdapterConfig{})
	var client *graphcomms.Client
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { client.ServeHTTP(w, r) }))
	defer srv.Close()
	client, err := graphcomms.New(graphcomms.Config{
		AppID: emu.AppID(), Adapter: adapter, BaseURL: emu.GraphURL(), CallbackURL: srv.URL,
		ValidatorConfig: auth.ValidatorConfig{OpenIDConfigURL: emu.OpenIDConfigURL()},
		Clock:           emu.Clock(),
	})
	if err != nil {
		panic(err)
	}
	defer client.Close()
	emu.SetCallbackURL(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	dave := emu.AddUser("dave", emulator.Behavior{AnswerAfter: time.Second})
	req := calls.NewCall("", nil)
	req.Targets = []participants.Invitation{participants.Invite(dave.Identity())}
	states := make(chan calls.State, 8)
	call, err := client.Create(ctx, req, graphcomms.WithSetup(func(c *graphcomms.Call) {
		c.OnUpdated(func(_, now calls.Call) { states <- now.State })
	}))
	if err != nil {
		panic(err)
	}
	type ticket struct{ ID string }
	if err := graphcomms.SetData(call, ticket{ID: "INC-7"}); err != nil {
		panic(err)
	}
	emu.Advance(time.Second)
	if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
		panic(err)
	}
	t, _, _ := graphcomms.Data[ticket](call)
	fmt.Println("established, ticket", t.ID)
	_ = call.HangUp(ctx)
	<-call.Done()
	// Each state once: Graph follows established with a mediaState update
	// (audio active) that leaves the state as it is.
	var last calls.State
	for len(states) > 0 {
		if st := <-states; st != last && (st == calls.StateEstablished || st == calls.StateTerminated) {
			fmt.Println("update:", st)
			last = st
		}
	}
	// Output:
	// established, ticket INC-7
	// update: established
	// update: terminated
}

// Liveness and readiness probes on a port of their own, for Kubernetes.
func ExampleClient_Health() {
	emu, _ := emulator.Start(emulator.Config{})
	defer emu.Close()
	adapter, _ := emu.Adapter(auth.AdapterConfig{})
	client, err := graphcomms.New(graphcomms.Config{
		AppID: emu.AppID(), Adapter: adapter, BaseURL: emu.GraphURL(), CallbackURL: "http://127.0.0.1:8080/api/calls",
		ValidatorConfig: auth.ValidatorConfig{OpenIDConfigURL: emu.OpenIDConfigURL()},
		Clock:           emu.Clock(),
	})
	if err != nil {
		panic(err)
	}
	defer client.Close()

	probes := httptest.NewServer(client.Health(graphcomms.HealthConfig{})) // http.ListenAndServe(":8081", ...) in production
	defer probes.Close()
	for _, path := range []string{"/livez", "/readyz?verbose"} {
		resp, err := http.Get(probes.URL + path)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s %d\n%s", path, resp.StatusCode, body)
	}
	// Output:
	// /livez 200
	// ok
	// /readyz?verbose 200
	// [+]client ok
	// [+]signing-keys ok
	// [ ]graph-token skipped: Config.Adapter is set: its credential is not known to the client
	// [+]store ok
	// [+]queue ok
	// ok
}

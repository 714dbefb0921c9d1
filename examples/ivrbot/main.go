// Command ivrbot is a phone-menu bot for Microsoft Teams calls.
//
// With no configuration it runs a demo: an in-process emulator plays Microsoft Graph,
// simulated people call the bot, listen to the menu and press keys, and the program
// prints what happened and exits. With -emulator URL (or GRAPHCOMMS_EMULATOR_URL) it
// serves the calls of a `graphcomms emulator` running in another process: key 1
// transfers to the emulated user sam, 2 to reception's voicemail. With
// GRAPHCOMMS_APP_ID (and the other variables in README.md) it serves real Teams calls.
package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/examples/internal/demo"
	"github.com/graphcomms/graphcomms/participants"
)

func main() {
	demo.Main("ivrbot", runDemo, func(real demo.Real, client *graphcomms.Client, logger *slog.Logger) error {
		base := os.Getenv("IVR_PROMPT_BASE_URL") // where menu.wav, hours.wav, ... are served
		sales, voicemail := os.Getenv("IVR_SALES_USER_ID"), os.Getenv("IVR_VOICEMAIL_USER_ID")
		ivr := &IVR{Sales: participants.User(sales, real.TenantID), Voicemail: participants.User(voicemail, real.TenantID), Logger: logger}
		mux := http.NewServeMux()
		if real.Emulator != nil {
			if base == "" {
				base = demo.ServePrompts(mux, real.CallbackURL, promptChimes)
			}
			if err := emulatorSetup(real.Emulator, ivr, sales, voicemail); err != nil {
				return err
			}
		}
		ivr.MenuURL, ivr.HoursURL, ivr.GoodbyeURL, ivr.InvalidURL = base+"/menu.wav", base+"/hours.wav", base+"/goodbye.wav", base+"/invalid.wav"
		ivr.Attach(client)
		return real.Serve(client, mux, logger)
	})
}

// promptChimes are the notes of the stand-in prompts the bot serves itself when it is
// connected to `graphcomms emulator` and IVR_PROMPT_BASE_URL is unset: a chime for
// each prompt, which the emulator's console plays.
var promptChimes = map[string][]float64{
	"menu":    {523.25, 659.25, 783.99, 1046.5}, // C E G C: the menu
	"hours":   {783.99, 659.25, 523.25},         // G E C: the opening hours
	"goodbye": {659.25, 523.25},                 // E C: goodbye
	"invalid": {220, 220},                       // A A, low: not a menu key
}

// emulatorSetup prepares the IVR for an external emulator (`graphcomms emulator`):
// sales and voicemail users declared by name (IVR_SALES_USER_ID and
// IVR_VOICEMAIL_USER_ID name emulated people; default sam and reception).
func emulatorSetup(x *demo.External, ivr *IVR, sales, voicemail string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if ivr.Sales, err = x.AddUser(ctx, cmp.Or(sales, "sam")); err != nil {
		return err
	}
	ivr.Voicemail, err = x.AddUser(ctx, cmp.Or(voicemail, "reception"))
	return err
}

// runDemo runs the scripted scenario against the emulator and prints the transcript.
func runDemo(out io.Writer) error {
	env, err := demo.StartEmulated(nil)
	if err != nil {
		return err
	}
	defer env.Close()
	emu := env.Emu
	sales := emu.AddUser("sam", emulator.Behavior{})
	reception := emu.AddUser("reception", emulator.Behavior{})
	erin := emu.AddUser("erin", emulator.Behavior{})
	prompts := "https://media.contoso.example/ivr"
	ivr := &IVR{MenuURL: prompts + "/menu.wav", HoursURL: prompts + "/hours.wav", GoodbyeURL: prompts + "/goodbye.wav",
		InvalidURL: prompts + "/invalid.wav", Sales: sales.Identity(), Voicemail: reception.Identity(),
		AfterHours: []string{erin.ID()}, Logger: slog.New(slog.DiscardHandler)}
	ivr.Attach(env.Client)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	fmt.Fprintln(out, "ivrbot demo: five people call the Contoso IVR (menu: 1 sales, 2 voicemail, 3 hours, 9 goodbye)")
	// listen waits for the next prompt on a call and lets it play to the end.
	listen := func(h *emulator.CallHandle) error {
		if _, err := demo.Step(ctx, h, emulator.EventPromptStarted); err != nil {
			return err
		}
		emu.Advance(emulator.DefaultPromptDuration)
		_, err := demo.Step(ctx, h, emulator.EventPromptCompleted)
		return err
	}
	call := func(name string) (*emulator.CallHandle, error) {
		h, err := emu.AddUser(name, emulator.Behavior{}).CallBot()
		if err != nil {
			return nil, err
		}
		if _, err := demo.Step(ctx, h, emulator.EventTonesSubscribed); err != nil {
			return nil, err
		}
		return h, listen(h)
	}
	// Alice asks for the opening hours, then sales.
	alice, err := call("alice")
	if err != nil {
		return err
	}
	_ = alice.Press("3")
	if err := listen(alice); err != nil { // the hours
		return err
	}
	if err := listen(alice); err != nil { // the menu again
		return err
	}
	_ = alice.Press("1")
	if _, err := demo.Step(ctx, alice, emulator.EventTerminated); err != nil {
		return err
	}
	// Bob leaves a voicemail.
	bob, err := call("bob")
	if err != nil {
		return err
	}
	_ = bob.Press("2")
	if _, err := demo.Step(ctx, bob, emulator.EventTerminated); err != nil {
		return err
	}
	// Carol says goodbye; the bot hangs up after the goodbye prompt.
	carol, err := call("carol")
	if err != nil {
		return err
	}
	_ = carol.Press("9")
	if err := listen(carol); err != nil {
		return err
	}
	if _, err := demo.Step(ctx, carol, emulator.EventTerminated); err != nil {
		return err
	}
	// Dave hangs up during the menu.
	dave, err := emu.AddUser("dave", emulator.Behavior{}).CallBot()
	if err != nil {
		return err
	}
	if _, err := demo.Step(ctx, dave, emulator.EventPromptStarted); err != nil {
		return err
	}
	_ = dave.HangUp()
	// Erin calls after hours: straight to voicemail.
	erinCall, err := erin.CallBot()
	if err != nil {
		return err
	}
	if _, err := demo.Step(ctx, erinCall, emulator.EventTerminated); err != nil {
		return err
	}
	if err := emu.WaitIdle(ctx); err != nil {
		return err
	}
	env.PrintTranscript(out)
	return nil
}

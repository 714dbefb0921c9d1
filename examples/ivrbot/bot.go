package main

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/participants"
)

// IVR is a phone menu: it answers, plays a menu and acts on the key pressed:
//
//	1  transfer to sales
//	2  transfer to voicemail
//	3  hear the opening hours, then the menu again
//	9  hear goodbye, then the bot hangs up
//
// Callers on the after-hours list are redirected to voicemail without an answer
// (Graph's redirect works only before a call is answered).
type IVR struct {
	MenuURL, HoursURL, GoodbyeURL, InvalidURL string
	// Sales is who key 1 transfers to.
	Sales participants.IdentitySet
	// Voicemail is whose voicemail key 2 (and the after-hours rule) reaches.
	Voicemail participants.IdentitySet
	// AfterHours lists caller user IDs (or phone numbers) sent straight to voicemail.
	AfterHours []string
	Logger     *slog.Logger
}

// Attach makes the IVR answer the client's incoming calls, and carry on with the calls
// this replica takes over from another (when the bot runs as several replicas).
func (ivr *IVR) Attach(client *graphcomms.Client) {
	client.OnIncoming(ivr.handle)
	client.OnResume(ivr.resume)
}

// resume adds the handlers of a call another replica was running. A call that was
// still ringing is handled as a new one.
func (ivr *IVR) resume(call *graphcomms.Call) {
	if call.State() == calls.StateIncoming {
		ivr.handle(call)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	log := ivr.Logger.With("call", call.ID(), "caller", call.Resource().Source.Identity.DisplayName())
	log.Info("took the call over from another replica")
	ivr.watch(ctx, cancel, call, log)
}

// watch adds the handlers of an answered call.
func (ivr *IVR) watch(ctx context.Context, cancel context.CancelFunc, call *graphcomms.Call, log *slog.Logger) {
	call.OnTerminated(func(end graphcomms.EndInfo) {
		log.Info("call ended", "reason", end.Reason)
		cancel()
	})
	call.OnTone(func(t media.ToneInfo) { go ivr.key(ctx, call, t.Tone.Key(), log) })
}

func (ivr *IVR) voicemail() participants.Invitation {
	inv := participants.Invite(ivr.Voicemail)
	inv.Identity.EndpointType = participants.EndpointTypeVoicemail
	return inv
}

// handle runs on the new call's queue: it must not block for long.
func (ivr *IVR) handle(call *graphcomms.Call) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	caller := call.Resource().Source.Identity
	_, id, _ := caller.Primary()
	log := ivr.Logger.With("call", call.ID(), "caller", caller.DisplayName())
	if slices.Contains(ivr.AfterHours, id.ID) {
		log.Info("after hours: redirecting to voicemail")
		if _, err := call.Redirect(ctx, []participants.Invitation{ivr.voicemail()}); err != nil {
			log.Error("redirect failed", "error", err)
		}
		cancel()
		return
	}
	ivr.watch(ctx, cancel, call, log)
	if err := call.Answer(ctx, ivr.MenuURL, ivr.HoursURL, ivr.GoodbyeURL); err != nil {
		log.Error("answer failed", "error", err)
		return
	}
	go func() {
		if err := call.WaitForState(ctx, calls.StateEstablished); err != nil {
			return
		}
		if _, err := call.SubscribeToTone(ctx); err != nil {
			log.Error("subscribeToTone failed", "error", err)
		}
		ivr.play(ctx, call, ivr.MenuURL)
	}()
}

// play plays prompts and waits until they have played.
func (ivr *IVR) play(ctx context.Context, call *graphcomms.Call, uris ...string) bool {
	var prompts []media.Prompt
	for _, u := range uris {
		prompts = append(prompts, media.NewMediaPrompt(u))
	}
	op, err := call.PlayPrompt(ctx, prompts)
	if err != nil {
		return false
	}
	_, err = op.Wait(ctx)
	return err == nil
}

// transfer transfers the call and waits for the outcome: when Graph reports the
// transfer failed, the call is still up and the caller hears the menu again.
func (ivr *IVR) transfer(ctx context.Context, call *graphcomms.Call, target participants.Invitation, log *slog.Logger) error {
	h, err := call.Transfer(ctx, target)
	if err != nil {
		return err
	}
	_, err = h.Wait(ctx)
	var failed *graphcomms.HandoffError
	if errors.As(err, &failed) {
		log.Warn("transfer failed", "result", failed.ResultInfo.String())
		ivr.play(ctx, call, ivr.MenuURL)
		return nil
	}
	return err
}

// key acts on a key press. It runs on its own goroutine.
func (ivr *IVR) key(ctx context.Context, call *graphcomms.Call, key byte, log *slog.Logger) {
	log.Info("key pressed", "key", string(key))
	// A key interrupts the menu.
	if op, err := call.CancelMediaProcessing(ctx); err == nil {
		_, _ = op.Wait(ctx)
	}
	var err error
	switch key {
	case '1':
		err = ivr.transfer(ctx, call, participants.Invite(ivr.Sales), log)
	case '2':
		err = ivr.transfer(ctx, call, ivr.voicemail(), log)
	case '3':
		if ivr.play(ctx, call, ivr.HoursURL) {
			ivr.play(ctx, call, ivr.MenuURL)
		}
	case '9':
		ivr.play(ctx, call, ivr.GoodbyeURL)
		err = call.HangUp(ctx)
	default:
		if ivr.play(ctx, call, ivr.InvalidURL) {
			ivr.play(ctx, call, ivr.MenuURL)
		}
	}
	if err != nil && !strings.Contains(err.Error(), "call ended") {
		log.Error("acting on a key failed", "key", string(key), "error", err)
	}
}

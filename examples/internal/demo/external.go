package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/auth"
	"github.com/graphcomms/graphcomms/emulator"
	"github.com/graphcomms/graphcomms/internal/loopback"
	"github.com/graphcomms/graphcomms/participants"
)

// EmulatorURLEnv names the environment variable that points a bot at an emulator
// running in another process (`graphcomms emulator`), as the -emulator flag does.
const EmulatorURLEnv = "GRAPHCOMMS_EMULATOR_URL"

// EmulatorTokenEnv names the environment variable with the emulator's access token,
// which `graphcomms emulator` prints when it listens beyond loopback.
const EmulatorTokenEnv = "GRAPHCOMMS_EMULATOR_TOKEN"

// DefaultEmulatorListen is where a bot serving an external emulator listens unless
// -listen or GRAPHCOMMS_LISTEN says otherwise: loopback, since the emulator delivers
// notifications to loopback only.
const DefaultEmulatorListen = "127.0.0.1:8080"

// The routes of `graphcomms emulator` (cmd/graphcomms/host.go) a bot connects with;
// the emulator package itself serves none of them.
const (
	emulatorConfigPath   = emulator.ControlPrefix + "/config"
	emulatorCallbackPath = emulator.ControlPrefix + "/callback"
	emulatorUsersPath    = emulator.ControlPrefix + "/users"
	emulatorMeetingsPath = emulator.ControlPrefix + "/meetings"
)

// External is a `graphcomms emulator` running in another process, as a bot connected
// to it sees it.
type External struct {
	// URL is the emulator's base URL.
	URL string
	// GraphURL is its Graph base URL (Config.BaseURL), OpenIDConfigURL where the
	// keys of its notification tokens are (ValidatorConfig.OpenIDConfigURL).
	GraphURL, OpenIDConfigURL string
	// TokenURL hands out the Graph tokens the bot sends (see Credential).
	TokenURL string
	// AppID and TenantID are the bot's app ID and tenant as the emulator knows them;
	// BotName is the bot's display name there.
	AppID, TenantID, BotName string
	// ApplicationInstance is the bot's resource account (for calls to phones).
	ApplicationInstance participants.IdentitySet
	// AllowAnonymous says the emulator also takes Graph requests without a token.
	AllowAnonymous bool
	// VirtualClock says the emulator's time moves only with `graphcomms trigger
	// advance`.
	VirtualClock bool

	hc *http.Client
}

// ConnectEmulator reads the settings of the `graphcomms emulator` at base, which must
// be on loopback.
func ConnectEmulator(ctx context.Context, base string) (*External, error) {
	u, err := url.Parse(strings.TrimSuffix(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("emulator URL %q: want http://HOST:PORT, as `graphcomms emulator` prints it", base)
	}
	if !loopback.Host(u.Hostname()) {
		return nil, fmt.Errorf("emulator URL %q: the emulator runs on this machine (127.0.0.1, ::1, localhost)", base)
	}
	x := &External{URL: u.String(), hc: &http.Client{Timeout: 10 * time.Second}}
	var cfg emulator.ConnectInfo
	if err := x.do(ctx, http.MethodGet, emulatorConfigPath, nil, &cfg); err != nil {
		return nil, fmt.Errorf("connecting to the emulator at %s (is `graphcomms emulator` running there?): %w", x.URL, err)
	}
	if cfg.GraphURL == "" || cfg.AppID == "" || cfg.TokenURL == "" {
		return nil, fmt.Errorf("connecting to the emulator at %s: its configuration lacks graphUrl, appId or tokenUrl", x.URL)
	}
	x.GraphURL, x.OpenIDConfigURL, x.TokenURL = cfg.GraphURL, cfg.OpenIDConfigURL, cfg.TokenURL
	x.AppID, x.TenantID, x.BotName = cfg.AppID, cfg.TenantID, cfg.BotName
	x.ApplicationInstance, x.AllowAnonymous, x.VirtualClock = cfg.ApplicationInstance, cfg.AllowAnonymous, cfg.VirtualClock
	return x, nil
}

// do sends a control request (in, when non-nil, as its JSON body) and decodes the
// answer into out. An answer other than 200 is an error with the emulator's reason.
func (x *External) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	target := path
	if strings.HasPrefix(path, "/") {
		target = x.URL + path
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := os.Getenv(EmulatorTokenEnv); tok != "" {
		req.Header.Set(emulator.ControlTokenHeader, tok)
	}
	resp, err := x.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s", method, path, e.Error)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// Credential returns a credential whose tokens come from the emulator's token URL:
// the bearer tokens the emulator expects on Graph requests. Give it to
// graphcomms.Config.Credential with GraphURL as BaseURL.
func (x *External) Credential() azcore.TokenCredential { return &externalCredential{x: x} }

// externalCredential fetches the emulator's token, and again shortly before it expires.
type externalCredential struct {
	x   *External
	mu  sync.Mutex
	tok azcore.AccessToken
}

// GetToken implements azcore.TokenCredential.
func (c *externalCredential) GetToken(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok.Token != "" && time.Until(c.tok.ExpiresOn) > 5*time.Minute {
		return c.tok, nil
	}
	var res struct {
		AccessToken string `json:"access_token"`
		ExpiresOn   int64  `json:"expires_on"`
	}
	if err := c.x.do(ctx, http.MethodPost, c.x.TokenURL, struct{}{}, &res); err != nil {
		return azcore.AccessToken{}, fmt.Errorf("getting a token from the emulator: %w", err)
	}
	if res.AccessToken == "" {
		return azcore.AccessToken{}, errors.New("getting a token from the emulator: the answer has no access_token")
	}
	c.tok = azcore.AccessToken{Token: res.AccessToken, ExpiresOn: time.Unix(res.ExpiresOn, 0)}
	return c.tok, nil
}

// SetCallbackURL makes the emulator send incoming calls to u ("" to stop).
func (x *External) SetCallbackURL(ctx context.Context, u string) error {
	return x.do(ctx, http.MethodPut, emulatorCallbackPath, map[string]string{"url": u}, nil)
}

// AddUser declares a simulated user (who answers the bot's calls at once) and returns
// their identity, for the bot to call, transfer to or invite. A name starting with +
// is a phone number.
func (x *External) AddUser(ctx context.Context, name string) (participants.IdentitySet, error) {
	var res struct {
		Identity participants.IdentitySet `json:"identity"`
	}
	if err := x.do(ctx, http.MethodPost, emulatorUsersPath, map[string]string{"name": name}, &res); err != nil {
		return participants.IdentitySet{}, err
	}
	return res.Identity, nil
}

// NewMeeting creates a meeting organized by organizer (a user, declared when unknown),
// who joins it, and returns its join URL.
func (x *External) NewMeeting(ctx context.Context, subject, organizer string) (string, error) {
	var res struct {
		JoinWebURL string `json:"joinWebUrl"`
	}
	if err := x.do(ctx, http.MethodPost, emulatorMeetingsPath, map[string]string{"subject": subject, "organizer": organizer}, &res); err != nil {
		return "", err
	}
	return res.JoinWebURL, nil
}

// options are an example bot's command-line flags.
type options struct {
	emulatorURL, listen string
}

// parseFlags reads the flags of an example bot's command (args without the program
// name). The environment gives the defaults.
func parseFlags(name string, args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.emulatorURL, "emulator", os.Getenv(EmulatorURLEnv),
		"serve the calls of the graphcomms emulator at this URL, e.g. http://127.0.0.1:9440, instead of running the demo (default $"+EmulatorURLEnv+")")
	fs.StringVar(&o.listen, "listen", "",
		"with -emulator: the address the bot serves its callback on (default $GRAPHCOMMS_LISTEN, else "+DefaultEmulatorListen+")")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s [-emulator URL [-listen ADDR]]\n\n"+
			"With no flags and no GRAPHCOMMS_APP_ID: runs the demo against an in-process emulator.\n"+
			"With -emulator (or %s): serves the calls of a running `graphcomms emulator`.\n"+
			"With GRAPHCOMMS_APP_ID and the variables of examples/REGISTRATION.md: serves real Teams calls.\n\n", name, EmulatorURLEnv)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.listen != "" && o.emulatorURL == "" {
		return o, errors.New("-listen needs -emulator (real mode listens on GRAPHCOMMS_LISTEN)")
	}
	return o, nil
}

// emulated connects to the external emulator at base: it opens the bot's listener
// (listen, else GRAPHCOMMS_LISTEN, else DefaultEmulatorListen) and returns the
// configuration Serve needs and a client for the emulator. Serve registers the
// callback URL, once the bot has added its handlers.
func emulated(ctx context.Context, base, listen string, logger *slog.Logger) (Real, *graphcomms.Client, error) {
	x, err := ConnectEmulator(ctx, base)
	if err != nil {
		return Real{}, nil, err
	}
	if listen == "" {
		listen = os.Getenv("GRAPHCOMMS_LISTEN")
	}
	if listen == "" {
		listen = DefaultEmulatorListen
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return Real{}, nil, fmt.Errorf("listening for the emulator's notifications: %w", err)
	}
	callback := "http://" + loopback.DialAddr(l.Addr()) + CallbackPath
	client, err := graphcomms.New(graphcomms.Config{
		AppID: x.AppID, BotName: x.BotName, Credential: x.Credential(), BaseURL: x.GraphURL, CallbackURL: callback,
		ValidatorConfig: auth.ValidatorConfig{OpenIDConfigURL: x.OpenIDConfigURL}, Logger: logger,
	})
	if err != nil {
		l.Close()
		return Real{}, nil, err
	}
	r := Real{AppID: x.AppID, TenantID: x.TenantID, CallbackURL: callback, Listen: l.Addr().String(), Emulator: x, listener: l}
	return r, client, nil
}

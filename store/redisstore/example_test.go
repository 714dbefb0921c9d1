package redisstore_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/redis/go-redis/v9"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/store/redisstore"
)

// Each replica of the bot runs this with the same Redis and prefix; a load balancer
// spreads Graph's callbacks over them.
func Example() {
	var cred azcore.TokenCredential // e.g. from azidentity.NewClientSecretCredential
	rdb := redis.NewClient(&redis.Options{Addr: "redis.internal:6379"})
	client, err := graphcomms.New(graphcomms.Config{
		AppID:       "b0b0b0b0-1111-4222-8333-444455556666",
		Credential:  cred,
		CallbackURL: "https://bot.example.com/api/calls",
		Cluster: graphcomms.ClusterConfig{
			Store: redisstore.New(rdb, redisstore.Options{Prefix: "incidentbot:"}),
			// Names this replica in the leases (default: host name, process ID and a
			// random suffix).
			ReplicaID: os.Getenv("POD_NAME"),
			// A call whose replica died is taken over within LeaseTTL.
			LeaseTTL: 10 * time.Second,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	client.OnIncoming(func(call *graphcomms.Call) {
		_ = call.Answer(ctx, "https://cdn.example.com/menu.wav")
	})
	client.OnResume(func(call *graphcomms.Call) {
		// Another replica died or closed: add this call's handlers again.
		for _, op := range call.PendingOperations() {
			go func() { _, _ = op.Wait(ctx) }()
		}
	})
	http.Handle("/api/calls", client)
	log.Fatal(http.ListenAndServe(":8080", nil))
}

//go:build redis

package demo

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/graphcomms/graphcomms/store"
	"github.com/graphcomms/graphcomms/store/redisstore"
)

// newCluster connects to the Redis the replicas share.
func newCluster(r Real) (store.Cluster, error) {
	opts, err := redis.ParseURL(r.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("GRAPHCOMMS_REDIS_URL: %w", err)
	}
	return redisstore.New(redis.NewClient(opts), redisstore.Options{Prefix: r.RedisPrefix}), nil
}

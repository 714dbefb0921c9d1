//go:build !redis

package demo

import (
	"errors"

	"github.com/graphcomms/graphcomms/store"
)

// newCluster is missing from builds without the redis tag, which keeps go-redis (about
// 2.4 MB) out of the example binaries that do not need it.
func newCluster(Real) (store.Cluster, error) {
	return nil, errors.New("GRAPHCOMMS_REDIS_URL needs a build with Redis support (go run -tags redis)")
}

package store_test

import (
	"testing"

	"github.com/graphcomms/graphcomms/store"
	"github.com/graphcomms/graphcomms/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.RunCluster(t, func(t *testing.T) store.Cluster { return store.NewMemory(store.MemoryConfig{}) })
}

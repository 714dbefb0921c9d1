package graphcomms_test

import (
	"testing"

	"github.com/graphcomms/graphcomms"
	"github.com/graphcomms/graphcomms/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) graphcomms.Store { return graphcomms.NewMemoryStore() })
}

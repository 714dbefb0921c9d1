// Package version holds the module version, shared by the root package and the
// transport's User-Agent.
package version

// Version is the graphcomms module version.
const Version = "0.1.0"

// UserAgent is the User-Agent product token graphcomms sends.
const UserAgent = "graphcomms-go/" + Version

// Package wire is the JSON codec behind every graphcomms model type.
//
// It exists because Graph payloads need three things encoding/json v1 does not give
// together, at a cost a callback path can afford:
//
//   - lossless round trips: every member that a struct's fields cannot carry (unknown
//     names, nulls, explicit zero values, numbers sent as non-numeric strings) is kept
//     verbatim in the struct's AdditionalData map and written back out;
//   - lenient input: member names match case-insensitively (`subCode`, `ConferenceId`),
//     registered enum types are canonicalised case-insensitively, numbers sent as
//     strings decode, and polymorphic (interface) fields are decoded through a registry;
//   - precise errors: a syntax error says what and at which byte offset and member path.
//
// Model packages call Unmarshal and Marshal from their UnmarshalJSON and MarshalJSON
// methods. The codec itself never calls those methods on structs (it walks them by
// reflection with a cached plan per type), so there is no recursion through
// encoding/json.
//
// Conventions for a model struct:
//
//   - each field has a `json:"name,omitzero"` tag; a field without a tag is ignored
//     unless it is an embedded struct, whose fields are promoted;
//   - a field named AdditionalData of type map[string]json.RawMessage (tag `json:"-"`)
//     receives everything the other fields do not carry;
//   - an interface-typed field must have its decoder registered with RegisterInterface;
//   - a type with an ODataTypeName() string method gets that @odata.type written when its
//     ODataType field is empty.
package wire

package emulator

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/meetings"
	"github.com/graphcomms/graphcomms/participants"
)

// Attendance reports (meetingattendancereport-list, meetingattendancereport-get,
// attendancerecord-list). Graph makes one report per occurrence of a meeting, once it
// is over. The emulator's occurrence is a session: it starts when the first person
// joins (or is admitted from the lobby) and ends when the last one leaves; its report
// is listed from then on, newest first as in the docs' list. Each person who attended
// has a record with their intervals; the organizer's role is "Organizer", everybody
// else's "Attendee" (the docs show Organizer and Presenter; Graph's rules for
// presenters are not emulated). Bots in the meeting are not counted. Email addresses
// are made up: <name>@emulator.example.

// attendance is a meeting's attendance: the session under way and the reports of
// finished ones. Guarded by Emulator.mu.
type attendance struct {
	started time.Time             // the session's start; zero when none is under way
	in      map[*Person]time.Time // who is in, since when
	order   []*Person             // who attended this session, in order of arrival
	spans   map[*Person][]meetings.AttendanceInterval
	reports []*report // newest first
}

// report is a finished session's attendance report.
type report struct {
	id      string
	start   time.Time
	end     time.Time
	records []meetings.AttendanceRecord
}

// enter records p coming in at now.
func (a *attendance) enter(p *Person, now time.Time) {
	if _, in := a.in[p]; in {
		return
	}
	if a.started.IsZero() {
		a.started, a.in, a.order, a.spans = now, map[*Person]time.Time{}, nil, map[*Person][]meetings.AttendanceInterval{}
	}
	a.in[p] = now
	if !slices.Contains(a.order, p) {
		a.order = append(a.order, p)
	}
}

// exit records p leaving at now; when nobody is left, the session's report is made.
func (a *attendance) exit(m *Meeting, p *Person, now time.Time) {
	since, in := a.in[p]
	if !in {
		return
	}
	delete(a.in, p)
	a.spans[p] = append(a.spans[p], meetings.AttendanceInterval{JoinDateTime: since.UTC(), LeaveDateTime: now.UTC(),
		DurationInSeconds: int32(now.Sub(since) / time.Second)})
	if len(a.in) > 0 {
		return
	}
	r := &report{id: m.e.newID(), start: a.started.UTC(), end: now.UTC(), records: []meetings.AttendanceRecord{}}
	for _, x := range a.order {
		rec := meetings.AttendanceRecord{Identity: attendee(x), Role: "Attendee", AttendanceIntervals: a.spans[x]}
		if x.phone == "" {
			rec.EmailAddress = strings.ReplaceAll(strings.ToLower(x.name), " ", ".") + "@emulator.example"
		}
		if x.id == m.organizer {
			rec.Role = "Organizer"
		}
		for _, s := range a.spans[x] {
			rec.TotalAttendanceInSeconds += s.DurationInSeconds
		}
		r.records = append(r.records, rec)
	}
	a.reports = append([]*report{r}, a.reports...)
	a.started = time.Time{}
}

// attendee is a person's identity in an attendance record: id, displayName, tenantId.
func attendee(p *Person) participants.Identity {
	id := participants.Identity{ID: p.id, DisplayName: p.DisplayName()}
	if p.phone == "" {
		id.TenantID = p.e.cfg.TenantID
	}
	return id
}

// resource returns the report; with records, its attendance records too ($expand).
func (r *report) resource(records bool) meetings.AttendanceReport {
	out := meetings.AttendanceReport{ID: r.id, MeetingStartDateTime: r.start, MeetingEndDateTime: r.end,
		TotalParticipantCount: int32(len(r.records))}
	if records {
		out.AttendanceRecords = r.records
	}
	return out
}

// listAttendanceReports handles GET .../onlineMeetings/{id}/attendanceReports
// (meetingattendancereport-list): each report with "attendanceRecords": [], as the
// docs' list has it.
func (e *Emulator) listAttendanceReports(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.requestedMeeting(w, r)
	if m == nil {
		return
	}
	page := calls.Collection[meetings.AttendanceReport]{Value: []meetings.AttendanceReport{}}
	for _, rep := range m.att.reports {
		out := rep.resource(false)
		out.AttendanceRecords = []meetings.AttendanceRecord{}
		page.Value = append(page.Value, out)
	}
	writeJSON(w, http.StatusOK, page)
}

// requestedReport returns the report the path names, or answers 404 and returns nil.
// Callers hold e.mu.
func (e *Emulator) requestedReport(w http.ResponseWriter, r *http.Request) *report {
	m := e.requestedMeeting(w, r)
	if m == nil {
		return nil
	}
	for _, rep := range m.att.reports {
		if rep.id == r.PathValue("rid") {
			return rep
		}
	}
	notFound(w, "Attendance report")
	return nil
}

// getAttendanceReport handles GET .../attendanceReports/{id}
// (meetingattendancereport-get): the report, with its records when asked with
// $expand=attendanceRecords (example 1) and without them otherwise (example 2). Another
// $expand is refused with 400.
func (e *Emulator) getAttendanceReport(w http.ResponseWriter, r *http.Request) {
	expand := strings.TrimSpace(r.URL.Query().Get("$expand"))
	if expand != "" && !strings.EqualFold(expand, "attendanceRecords") {
		badRequest(w, "Could not find a property named '"+expand+"' to expand on type 'microsoft.graph.meetingAttendanceReport'.")
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if rep := e.requestedReport(w, r); rep != nil {
		writeJSON(w, http.StatusOK, rep.resource(expand != ""))
	}
}

// listAttendanceRecords handles GET .../attendanceReports/{id}/attendanceRecords
// (attendancerecord-list).
func (e *Emulator) listAttendanceRecords(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if rep := e.requestedReport(w, r); rep != nil {
		writeJSON(w, http.StatusOK, calls.Collection[meetings.AttendanceRecord]{Value: rep.records})
	}
}

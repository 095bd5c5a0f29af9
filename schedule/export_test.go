package schedule

// CloseTick and RateTick run a job as a cron tick does (cron.SkipIfStillRunning
// included), for the tests of package schedule_test.
func (s *Scheduler) CloseTick() { s.closeEntry.Run() }
func (s *Scheduler) RateTick()  { s.rateEntry.Run() }

// JobTick runs the Job named name as a cron tick does.
func (s *Scheduler) JobTick(name string) {
	for _, j := range s.jobs {
		if j.Name == name {
			j.entry.Run()
		}
	}
}

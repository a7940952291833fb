"""batch/v1: Jobs, which run pods to completion, and CronJobs, which create
Jobs on a schedule (`cron` holds the schedule syntax)."""

// The job DTO lives with the services, so webhook bodies (server/webhooks, built in the worker) and jobs.get share
// one mapper; the API re-exports it under its old path.
export { ZArtifactDto, ZJobDto, toJobDto, type TArtifactDto, type TJobDto } from "../../../services/jobs/job-dto";

// Public surface of the jobs area: `fabric submit` and `fabric jobs` (client) and the node's job
// service (`fabric join --accept-jobs`), over `/fabric/jobs/1`.
export type * from './interface.js'
export { createJobService, listReply, packageRoot } from './service.js'
export { createJobsClient } from './client.js'
export type { JobsClient, SubmitOptions } from './client.js'
export { prepareUpload, bundleDriver, UploadError } from './upload.js'
export type { Upload, UploadFile } from './upload.js'
export { JobStore, isFinished, newSubmissionId } from './store.js'
export { decodeJobsRequest, decodeJobsReply, decodeDataFrame, checkJobInfo, checkJobPath, checkJobId } from './protocol.js'
export { JobRefusedError, JobNotFoundError } from './errors.js'
export * from './constants.js'

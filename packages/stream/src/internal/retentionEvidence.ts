/**
 * What a run learns of the pipeline version's retention from its own requests, for a run that did not declare it
 * (`reconcile.retention`): a request of its own read without its `request_data`, or gone once finished, shows that
 * the version does not keep full requests. From then on the run's reconciliations take an empty listing for no
 * proof (as under `none`) instead of creating again.
 */
export class RetentionEvidence {
  dataNotKept = false
}

/** The CloudWatch namespace of the platform's own metrics: the service's EMF lines and the monthly job's. */
export const EMF_NAMESPACE = 'LoanDefault';

/** What the instance needs to run the service container; every value is known when user data renders. */
export interface ServiceUserDataArgs extends ServiceEnvironmentArgs {
  /** repository@sha256:digest */
  imageRef: string;
  registryHost: string;
  servicePort: number;
  adminTokenParameter: string;
  apiKeysParameter: string;
  /** Set when the stack has a metrics token: read like the admin token, at every start. */
  metricsTokenParameter?: string;
  /** Set when the stack has reviewers (REVIEWER_TOKENS): read like the admin token, at every start. */
  reviewerTokensParameter?: string;
  logGroup: string;
}

const CONTAINER = 'loan-default';
/** The host directory behind the container's CAPTURE_SPILL_DIR (./var/predictions-spill under /app). */
export const SPILL_HOST_DIR = '/var/lib/loan-default/spill';

/**
 * The container's writable paths under a read-only root: the prediction log and its spill directory (/app/var)
 * and the model cache (/tmp). The fleet's task mounts a volume on each; the image declares each as a VOLUME so
 * that Fargate copies in the image's directories with their owner instead of mounting them empty and root-owned.
 */
export const SCRATCH_PATHS = { tmp: '/tmp', var: '/app/var' } as const;

/** The service's own shutdown deadline, and the container's stop timeout (SIGKILL after it) a little above it. */
export const SERVICE_SHUTDOWN_TIMEOUT_MS = 8_000;
export const CONTAINER_STOP_TIMEOUT_S = 12;

/** Single-quotes a value for bash. */
export const shellQuote = (value: string | number) => `'${String(value).replace(/'/g, `'\\''`)}'`;

/**
 * What the service container is told, wherever it runs (the environment contract of docs/configuration.md; secrets
 * apart).
 */
export interface ServiceEnvironmentArgs {
  containerPort: number;
  modelStore: string;
  modelName: string;
  pollIntervalS: number;
  predictionLog: string;
  region: string;
}

/** The service's environment, the same for the single instance (user data) and the fleet's task definition. */
export function serviceEnvironment(a: ServiceEnvironmentArgs): [string, string | number][] {
  return [
    ['PORT', a.containerPort],
    ['HOST', '0.0.0.0'],
    ['MODEL_STORE', a.modelStore],
    ['MODEL_NAME', a.modelName],
    ['MODEL_CHANNEL', 'production'],
    ['MODEL_POLL_INTERVAL_S', a.pollIntervalS],
    ['PREDICTION_LOG', a.predictionLog],
    ['AWS_REGION', a.region],
    ['LOG_LEVEL', 'info'],
    // Within the container's stop timeout, so the service spills what it holds before it could be killed.
    ['SHUTDOWN_TIMEOUT_MS', SERVICE_SHUTDOWN_TIMEOUT_MS],
  ];
}

/**
 * Cloud-init user data (a shell script): install Docker (retried), log in to ECR with the instance role and pull
 * the image by digest (retried), then hand the container to a systemd unit. At every start the unit reads the
 * admin token from SSM into a root-only env file (never onto a command line or into a log; a rotated token
 * reaches the service at its next restart, and an empty or unreadable one fails the start, loudly, to be
 * retried), and runs the container in the foreground with the awslogs driver in non-blocking mode (a slow
 * CloudWatch never stalls the service). systemd restarts it; `docker stop` gives it CONTAINER_STOP_TIMEOUT_S.
 * Changing anything here replaces the instance (its Elastic IP stays).
 */
export function renderServiceUserData(a: ServiceUserDataArgs): string {
  const env = serviceEnvironment(a);
  const envFile = `/etc/${CONTAINER}.env`;
  // The secrets a stack may leave unset, by variable: each read from its parameter at every start when set.
  const optionalSecrets = (
    [
      ['METRICS_TOKEN', a.metricsTokenParameter],
      ['REVIEWER_TOKENS', a.reviewerTokensParameter],
    ] as [string, string | undefined][]
  ).filter((entry): entry is [string, string] => !!entry[1]);
  return `#!/bin/bash
# Rendered by infra/components/user-data.ts
set -euo pipefail
REGION=${shellQuote(a.region)}
IMAGE=${shellQuote(a.imageRef)}

# A network hiccup at boot must not leave an instance without its service: retry, then fail loudly.
retry() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if "$@"; then return 0; fi
    echo "attempt $attempt of 5 failed: $*" >&2
    sleep $((attempt * 5))
  done
  return 1
}
ecr_login() {
  aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin ${shellQuote(a.registryHost)}
}

retry dnf install -y docker
systemctl enable --now docker

retry ecr_login
retry docker pull "$IMAGE"

# Prediction files the log could not take wait here, outside the container, so a restarted container delivers
# them (the container's own /app/var is a tmpfs). Owned by the image's user, node (uid 1000).
install -d -o 1000 -g 1000 -m 700 ${SPILL_HOST_DIR}

INSTANCE_ID=$(TOKEN=$(curl -sX PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60') && curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id)

# Run by the unit before every start: the environment, with the admin token read from SSM each time.
cat > /usr/local/bin/${CONTAINER}-env <<'SCRIPT'
#!/bin/bash
set -euo pipefail
ADMIN_TOKEN=$(aws ssm get-parameter --region ${shellQuote(a.region)} --name ${shellQuote(a.adminTokenParameter)} --with-decryption --query Parameter.Value --output text)
API_KEYS=$(aws ssm get-parameter --region ${shellQuote(a.region)} --name ${shellQuote(a.apiKeysParameter)} --with-decryption --query Parameter.Value --output text)
if [ -z "$ADMIN_TOKEN" ] || [ -z "$API_KEYS" ]; then
  echo "the admin token or API keys parameter is empty" >&2
  exit 1
fi
install -m 600 /dev/null ${envFile}.new
{
${env.map(([k, v]) => `  echo ${shellQuote(`${k}=${v}`)}`).join('\n')}
  printf 'ADMIN_TOKEN=%s\\n' "$ADMIN_TOKEN"
  printf 'API_KEYS=%s\\n' "$API_KEYS"${optionalSecrets
    .map(
      ([variable, parameter]) => `
  printf '${variable}=%s\\n' "$(aws ssm get-parameter --region ${shellQuote(a.region)} --name ${shellQuote(parameter)} --with-decryption --query Parameter.Value --output text)"`,
    )
    .join('')}
} > ${envFile}.new
mv ${envFile}.new ${envFile}
SCRIPT
chmod 700 /usr/local/bin/${CONTAINER}-env

cat > /etc/systemd/system/${CONTAINER}.service <<UNIT
[Unit]
Description=Loan default scoring service
Requires=docker.service
After=docker.service network-online.target
Wants=network-online.target

[Service]
Restart=always
RestartSec=5
TimeoutStopSec=${CONTAINER_STOP_TIMEOUT_S + 8}
ExecStartPre=/usr/local/bin/${CONTAINER}-env
ExecStartPre=-docker rm -f ${CONTAINER}
ExecStart=docker run --rm --name ${CONTAINER} --stop-timeout ${CONTAINER_STOP_TIMEOUT_S} --env-file ${envFile} -p ${a.servicePort}:${a.containerPort} --read-only --tmpfs /tmp --tmpfs /app/var -v ${SPILL_HOST_DIR}:/app/var/predictions-spill --log-driver awslogs --log-opt awslogs-region=$REGION --log-opt awslogs-group=${a.logGroup} --log-opt awslogs-stream=service-$INSTANCE_ID --log-opt mode=non-blocking --log-opt max-buffer-size=4m $IMAGE
ExecStop=docker stop -t ${CONTAINER_STOP_TIMEOUT_S} ${CONTAINER}

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now ${CONTAINER}
`;
}

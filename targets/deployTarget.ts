/**
 * What the canary needs from a deploy target, whatever it deploys to: the local processes of
 * targets/local, or the user's scripts of targets/command. Every step is idempotent per deployment id
 * (a retried activity must never deploy twice), and reports what it did for the audit.
 */
import type { ServiceConfig } from '../config/schema.js';

export interface CanaryVersion {
  /** 'stable' or 'canary' (the local target passes it to the service as SERVICE_VERSION) */
  label: string;
  /** The commit deployed as this version. */
  sha: string;
  /** Its checked-out source directory. */
  dir: string;
}

export interface CanaryDeploySpec {
  service: ServiceConfig;
  stable: CanaryVersion;
  canary: CanaryVersion;
  /** Share of traffic the canary starts with. */
  percent: number;
  /** Steady load the local target generates (a real target has real traffic). */
  requestsPerSecond: number;
  paths: string[];
}

export interface StepReport {
  /** sha256 of the step's captured output in the artifact store, where the target captures output. */
  outputSha256: string | null;
  /** The step had already completed under its idempotency key, so nothing ran again. */
  alreadyDone: boolean;
}

export interface DeployTarget {
  readonly kind: 'local' | 'command';
  startCanary(deploymentId: string, spec: CanaryDeploySpec): Promise<StepReport & { url: string | null }>;
  setCanaryPercent(deploymentId: string, percent: number): Promise<StepReport>;
  /** All traffic to the canary. */
  promote(deploymentId: string): Promise<StepReport>;
  /** No traffic to the canary; stable keeps serving. */
  rollback(deploymentId: string): Promise<StepReport & { stableHealthy: boolean }>;
  /** Release what the deployment holds (processes, state). Unknown ids are fine. */
  stop(deploymentId: string): Promise<StepReport>;
}

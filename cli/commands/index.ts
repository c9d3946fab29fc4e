import type { Command } from './command.js';
import { devCommand } from './dev.js';
import { workerCommand } from './worker.js';
import { setupCommand } from './setup.js';
import { startCommand } from './start.js';
import { reviewCommand } from './review.js';
import { statusCommand } from './status.js';
import { listCommand } from './list.js';
import { approveCommand, rejectCommand } from './approval.js';
import { auditCommand } from './audit.js';
import { demoCommand } from './demo.js';
import { codecServerCommand } from './codecServer.js';
import { metricsCommand } from './metrics.js';
import { webhookCommand } from './webhook.js';

/** In the order `prpilot --help` lists them (DESIGN.md's table). */
export const commands: Command[] = [
  devCommand, workerCommand, setupCommand, startCommand, reviewCommand, statusCommand, listCommand,
  approveCommand, rejectCommand, auditCommand, metricsCommand, webhookCommand, codecServerCommand, demoCommand,
];

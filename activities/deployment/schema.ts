import { z } from 'zod';

export const deploymentRiskSchema = z.object({
  level: z.enum(['LOW', 'MEDIUM', 'HIGH']),
  rationale: z.string().min(1),
  factors: z.array(z.string()),
});
export type DeploymentRisk = z.infer<typeof deploymentRiskSchema>;

export const incidentReportSchema = z.object({
  title: z.string().min(1),
  markdown: z.string().min(1),
});
export type IncidentReport = z.infer<typeof incidentReportSchema>;

/**
 * Deploy-target and metrics errors carry whether trying again can help; Temporal decides retries from
 * the failure it sees, so they are handed over as ApplicationFailures of their own type.
 */
import { ApplicationFailure } from '@temporalio/common';

interface ClassifiedError extends Error {
  code: string;
  retryable: boolean;
  outputSha256?: string | null;
}

function isClassified(error: unknown): error is ClassifiedError {
  return error instanceof Error && typeof (error as Partial<ClassifiedError>).code === 'string' && typeof (error as Partial<ClassifiedError>).retryable === 'boolean';
}

export async function classifyFailures<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isClassified(error)) throw error;
    throw ApplicationFailure.create({
      type: `${error.name}:${error.code}`,
      message: error.message,
      nonRetryable: !error.retryable,
      details: error.outputSha256 ? [{ outputSha256: error.outputSha256 }] : [],
    });
  }
}

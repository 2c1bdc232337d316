/**
 * The engine's floor: a workflow that does nothing. Each webhook is one workflow by design, so no
 * delivery can cost Temporal less than starting and completing this one on the same server.
 */
export async function floorWorkflow(_input: unknown): Promise<void> {
  // Nothing: one workflow task, then complete.
}

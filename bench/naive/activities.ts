import { request } from 'undici';

/** POSTs the webhook; any non-2xx is an error, which Temporal's default policy retries. */
export async function send(input: { url: string; id: string }): Promise<number> {
  const res = await request(input.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bench-id': input.id },
    body: JSON.stringify({ id: input.id }),
  });
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`status ${res.statusCode}`);
  return res.statusCode;
}

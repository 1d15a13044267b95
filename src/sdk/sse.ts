/**
 * A minimal reader of server-sent events over a fetch body (EventSource cannot send an
 * Authorization header): yields each event's name and data, and calls `onChunk` for every chunk
 * received — comments (keep-alives) included — so the caller knows the daemon is there.
 */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>, onChunk: () => void): AsyncGenerator<{ event: string; data: string; id: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onChunk();
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        let id = "";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
          else if (field === "id") id = value;
        }
        if (data.length > 0) yield { event, data: data.join("\n"), id };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

import { connect } from 'node:net';

/*
 * The Zabbix sender protocol, as zabbix_sender speaks it to a server's trapper port: a header `ZBXD\x01`, the
 * JSON's length as 8 bytes little-endian, then `{"request":"sender data","data":[{host,key,value}]}`. The server
 * answers in the same framing with `{"response":"success","info":"processed: 1; failed: 0; ..."}`.
 */

export interface SenderValue {
  /** The host's technical name (`host`, not the visible `name`). */
  host: string;
  key: string;
  value: string | number;
}

export interface SenderReply {
  response: string;
  info: string;
  processed: number;
  failed: number;
}

const HEADER = Buffer.from('ZBXD\x01', 'latin1');
const PREFIX_LENGTH = HEADER.length + 8;

export function senderPacket(values: SenderValue[]): Buffer {
  const data = values.map(({ host, key, value }) => ({ host, key, value: String(value) }));
  const json = Buffer.from(JSON.stringify({ request: 'sender data', data }), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([HEADER, length, json]);
}

/** Parses the server's framed reply; throws when it is not one. */
export function parseSenderReply(frame: Buffer): SenderReply {
  if (frame.length < PREFIX_LENGTH || !frame.subarray(0, 4).equals(HEADER.subarray(0, 4))) {
    throw new Error(`not a Zabbix protocol reply: ${JSON.stringify(frame.toString('latin1').slice(0, 40))}`);
  }
  const length = Number(frame.readBigUInt64LE(HEADER.length));
  const body = JSON.parse(frame.subarray(PREFIX_LENGTH, PREFIX_LENGTH + length).toString('utf8')) as {
    response: string;
    info?: string;
  };
  const info = body.info ?? '';
  const count = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(info)?.[1] ?? NaN);
  return { response: body.response, info, processed: count('processed'), failed: count('failed') };
}

/** Sends the values to the trapper on 127.0.0.1:port and resolves with the server's reply. */
export function sendValues(port: number, values: SenderValue[], timeoutMs = 10_000): Promise<SenderReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply from the trapper within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.end(senderPacket(values)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parseSenderReply(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
  });
}

// Chat and preference records in the layouts SFT/DPO data comes in, normalized to one shape. A record that does not
// fit is rejected with a reason (counted and reported by the caller), never thrown: one bad record must not stop a run.
//
// SFT layouts (detected per record):
//   messages     {messages: [{role: system|user|assistant, content}]}          (OpenAI / HF chat, @steel/eval exam-data)
//   sharegpt     {conversations: [{from: system|human|gpt, value}], system?}   (LLaMA-Factory "sharegpt")
//   alpaca       {instruction, input?, output, system?, history?: [[q, a]]}     (LLaMA-Factory "alpaca")
// Preference layouts:
//   {prompt: string | messages, chosen: string | messages, rejected: string | messages, system?}
//   {instruction, input?, chosen, rejected, system?}                            (LLaMA-Factory ranking, Steel's DPO file)
//   {messages | conversations: prompt turns, chosen, rejected}                   (chosen/rejected: a message or a string)
//   {chosen: messages, rejected: messages}  (each a whole conversation sharing the prompt, e.g. UltraFeedback binarized)

export interface ChatTurn {
  user: string;
  assistant: string;
}

/** One SFT conversation: an optional system prompt (null = the default one), then user/assistant turns. */
export interface ChatSample {
  system: string | null;
  turns: ChatTurn[];
}

/** One preference pair: a conversation whose last assistant answer is either `chosen` or `rejected`. */
export interface PreferenceSample {
  system: string | null;
  /** Earlier complete turns (multi-turn prompts). */
  history: ChatTurn[];
  /** The last user message. */
  prompt: string;
  chosen: string;
  rejected: string;
}

export type RecordProblem = { ok: false; reason: string };
export type Parsed<T> = { ok: true; value: T; layout: string } | RecordProblem;

type Role = 'system' | 'user' | 'assistant';
interface Message {
  role: Role;
  content: string;
}

const ROLE_ALIASES: Record<string, Role> = {
  system: 'system',
  user: 'user',
  human: 'user',
  assistant: 'assistant',
  gpt: 'assistant',
  model: 'assistant',
};

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const bad = (reason: string): RecordProblem => ({ ok: false, reason });

function optionalString(r: Record<string, unknown>, key: string): string | null | RecordProblem {
  const v = r[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') return bad(`'${key}' must be a string, got ${typeof v}`);
  return v;
}

/** A message list in `messages` (role/content) or `conversations` (from/value) form. */
function messageList(v: unknown, key: string): Message[] | RecordProblem {
  if (!Array.isArray(v)) return bad(`'${key}' must be a list of messages`);
  const out: Message[] = [];
  for (let i = 0; i < v.length; i++) {
    const m = v[i];
    if (!isObj(m)) return bad(`${key}[${i}] must be an object`);
    const roleRaw = m.role ?? m.from;
    const content = m.content ?? m.value;
    if (typeof roleRaw !== 'string') return bad(`${key}[${i}] has no role/from string`);
    const role = ROLE_ALIASES[roleRaw.toLowerCase()];
    if (!role) return bad(`${key}[${i}].role '${roleRaw}' is not one of ${Object.keys(ROLE_ALIASES).join(', ')}`);
    if (typeof content !== 'string') return bad(`${key}[${i}] has no content/value string`);
    out.push({ role, content });
  }
  return out;
}

const isProblem = (v: unknown): v is RecordProblem => isObj(v) && (v as { ok?: unknown }).ok === false;

/** system? then strictly alternating user/assistant; `open` allows (and requires) a final user message. */
function toTurns(
  msgs: Message[],
  system: string | null,
  key: string,
  open: boolean,
): { system: string | null; turns: ChatTurn[]; last: string | null } | RecordProblem {
  let i = 0;
  let sys = system;
  if (msgs[0]?.role === 'system') {
    sys = msgs[0].content;
    i = 1;
  }
  const turns: ChatTurn[] = [];
  for (; i + 1 < msgs.length; i += 2) {
    const u = msgs[i]!;
    const a = msgs[i + 1]!;
    if (u.role !== 'user') return bad(`${key}[${i}] should be a user message, got ${u.role}`);
    if (a.role !== 'assistant') return bad(`${key}[${i + 1}] should be an assistant message, got ${a.role}`);
    turns.push({ user: u.content, assistant: a.content });
  }
  let last: string | null = null;
  if (i < msgs.length) {
    const u = msgs[i]!;
    if (!open) return bad(`${key} ends with a ${u.role} message; a conversation must end with the assistant's`);
    if (u.role !== 'user') return bad(`${key}[${i}] should be a user message, got ${u.role}`);
    last = u.content;
  } else if (open) return bad(`${key} must end with the user message the answers reply to`);
  return { system: sys, turns, last };
}

function alpacaUser(r: Record<string, unknown>): string | RecordProblem {
  if (typeof r.instruction !== 'string') return bad(`'instruction' must be a string`);
  const input = r.input ?? '';
  if (typeof input !== 'string') return bad(`'input' must be a string`);
  // LLaMA-Factory's alpaca converter: instruction + "\n" + input when input is not empty
  return input ? `${r.instruction}\n${input}` : r.instruction;
}

function alpacaHistory(r: Record<string, unknown>): ChatTurn[] | RecordProblem {
  if (r.history === undefined || r.history === null) return [];
  if (!Array.isArray(r.history)) return bad(`'history' must be a list of [user, assistant] pairs`);
  const out: ChatTurn[] = [];
  for (let i = 0; i < r.history.length; i++) {
    const h = r.history[i];
    if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string')
      return bad(`history[${i}] must be a [user, assistant] pair of strings`);
    out.push({ user: h[0], assistant: h[1] });
  }
  return out;
}

/** Normalizes one SFT record. */
export function parseChatRecord(record: unknown): Parsed<ChatSample> {
  if (!isObj(record)) return bad('a record must be a JSON object');
  const system = optionalString(record, 'system');
  if (isProblem(system)) return system;
  for (const key of ['messages', 'conversations'] as const) {
    if (record[key] === undefined) continue;
    const msgs = messageList(record[key], key);
    if (isProblem(msgs)) return msgs;
    const t = toTurns(msgs, system, key, false);
    if (isProblem(t)) return t;
    if (t.turns.length === 0) return bad(`'${key}' has no user/assistant turn`);
    return {
      ok: true,
      value: { system: t.system, turns: t.turns },
      layout: key === 'messages' ? 'messages' : 'sharegpt',
    };
  }
  if (record.instruction !== undefined || record.output !== undefined) {
    const user = alpacaUser(record);
    if (isProblem(user)) return user;
    if (typeof record.output !== 'string') return bad(`'output' must be a string`);
    const history = alpacaHistory(record);
    if (isProblem(history)) return history;
    return { ok: true, value: { system, turns: [...history, { user, assistant: record.output }] }, layout: 'alpaca' };
  }
  return bad('unknown layout: expected messages, conversations, or instruction/output');
}

/** The answer text of a chosen/rejected field: a string, one assistant message, or a list ending with one. */
function answerOf(v: unknown, key: string): string | RecordProblem {
  if (typeof v === 'string') return v;
  if (isObj(v)) {
    const m = messageList([v], key);
    if (isProblem(m)) return m;
    if (m[0]!.role !== 'assistant') return bad(`'${key}' must be an assistant message, got ${m[0]!.role}`);
    return m[0]!.content;
  }
  const list = messageList(v, key);
  if (isProblem(list)) return list;
  const last = list[list.length - 1];
  if (!last || last.role !== 'assistant') return bad(`'${key}' must end with an assistant message`);
  return last.content;
}

const sameMessages = (a: Message[], b: Message[]) =>
  a.length === b.length && a.every((m, i) => m.role === b[i]!.role && m.content === b[i]!.content);

/** Normalizes one preference record. */
export function parsePreferenceRecord(record: unknown): Parsed<PreferenceSample> {
  if (!isObj(record)) return bad('a record must be a JSON object');
  if (record.chosen === undefined || record.rejected === undefined)
    return bad(`a preference record needs 'chosen' and 'rejected'`);
  const system = optionalString(record, 'system');
  if (isProblem(system)) return system;
  const chosen = answerOf(record.chosen, 'chosen');
  if (isProblem(chosen)) return chosen;
  const rejected = answerOf(record.rejected, 'rejected');
  if (isProblem(rejected)) return rejected;
  const finish = (
    sys: string | null,
    history: ChatTurn[],
    prompt: string,
    layout: string,
  ): Parsed<PreferenceSample> => ({
    ok: true,
    value: { system: sys, history, prompt, chosen, rejected },
    layout,
  });

  if (typeof record.prompt === 'string') return finish(system, [], record.prompt, 'prompt');
  const promptMsgs = record.prompt ?? record.messages ?? record.conversations;
  if (promptMsgs !== undefined) {
    const key = record.prompt !== undefined ? 'prompt' : record.messages !== undefined ? 'messages' : 'conversations';
    const msgs = messageList(promptMsgs, key);
    if (isProblem(msgs)) return msgs;
    const t = toTurns(msgs, system, key, true);
    if (isProblem(t)) return t;
    return finish(t.system, t.turns, t.last!, `${key}-list`);
  }
  if (record.instruction !== undefined) {
    const user = alpacaUser(record);
    if (isProblem(user)) return user;
    const history = alpacaHistory(record);
    if (isProblem(history)) return history;
    return finish(system, history, user, 'alpaca');
  }
  // whole conversations sharing the prompt: the prompt is everything before the last message of each
  if (Array.isArray(record.chosen) && Array.isArray(record.rejected)) {
    const c = messageList(record.chosen, 'chosen');
    if (isProblem(c)) return c;
    const r = messageList(record.rejected, 'rejected');
    if (isProblem(r)) return r;
    const prefix = c.slice(0, -1);
    if (!sameMessages(prefix, r.slice(0, -1)))
      return bad(`'chosen' and 'rejected' conversations differ before their answers`);
    const t = toTurns(prefix, system, 'chosen', true);
    if (isProblem(t)) return t;
    return finish(t.system, t.turns, t.last!, 'conversation-pair');
  }
  return bad('unknown layout: expected prompt, instruction, messages/conversations, or chosen/rejected conversations');
}

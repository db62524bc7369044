import { api } from '../../api/client';

// noteAfter puts the optional note a dialog asks for on the timeline, after the change it explains ("Incident lead:
// bob: takes over from alice at the shift change"); none typed, none added.
export function noteAfter(id: string, change: string, note: string): Promise<unknown> {
  return note.trim() ? api.addNote(id, `${change}: ${note.trim()}`) : Promise.resolve();
}

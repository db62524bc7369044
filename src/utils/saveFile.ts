import type { DownloadedFile } from '../api/client';

// saveFile hands a downloaded report to the browser as a file to save, under the name the backend gave it.
export function saveFile(f: DownloadedFile) {
  const url = URL.createObjectURL(new Blob([f.content], { type: f.type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = f.name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The browser has started the download by now; the URL is kept a while for slow ones.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

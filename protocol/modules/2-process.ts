import type { ModuleSpec } from '../fields.js';

/** Module 2: process activity on a host (codec only for now). */
export const processModule: ModuleSpec = {
  id: 2,
  name: 'process',
  version: 1,
  doc: 'Process activity: forks, execs and exits.',
  messages: [
    {
      type: 1, name: 'FORK', doc: 'A process was created.',
      fields: [
        { name: 'ts', kind: 'time', doc: 'When.' },
        { name: 'pid', kind: 'u32', doc: 'New process id.' },
        { name: 'ppid', kind: 'u32', doc: 'Parent process id.' },
        { name: 'uid', kind: 'u32', doc: 'User id.' },
      ],
    },
    {
      type: 2, name: 'EXEC', doc: 'A process executed a program. Senders truncate exe and cmdline to their maxima.',
      fields: [
        { name: 'ts', kind: 'time', doc: 'When.' },
        { name: 'pid', kind: 'u32', doc: 'Process id.' },
        { name: 'ppid', kind: 'u32', doc: 'Parent process id.' },
        { name: 'uid', kind: 'u32', doc: 'User id.' },
        { name: 'exe', kind: 'str16', max: 256, doc: 'Executable path, UTF-8.' },
        { name: 'cmdline', kind: 'str16', max: 1024, doc: 'Command line, arguments separated by spaces, UTF-8.' },
      ],
    },
    {
      type: 3, name: 'EXIT', doc: 'A process exited.',
      fields: [
        { name: 'ts', kind: 'time', doc: 'When.' },
        { name: 'pid', kind: 'u32', doc: 'Process id.' },
        { name: 'status', kind: 'i32', doc: 'Exit status (negative: killed by signal -N).' },
      ],
    },
  ],
};

{
  'targets': [
    {
      'target_name': 'capture_stats',
      'sources': ['capture_stats.c'],
      'cflags': ['-Wall', '-Wextra'],
      'defines': ['NAPI_VERSION=8'],
    },
  ],
}

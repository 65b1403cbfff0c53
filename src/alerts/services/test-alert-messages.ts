/** What test alerts say: the five the reference names, and ten more an operator would recognise. */
export const TEST_ALERT_MESSAGES = [
  'High CPU usage detected',
  'Memory threshold exceeded',
  'Disk space running low',
  'Network latency spike',
  'Service health degraded',
  'Packet loss above threshold',
  'Swap usage critical',
  'Load average too high',
  'Disk I/O wait elevated',
  'Too many open file descriptors',
  'SSL certificate expires soon',
  'Agent unreachable',
  'Process count exceeded limit',
  'Database connection pool exhausted',
  'HTTP 5xx error rate increased',
] as const;

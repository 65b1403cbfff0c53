import { PullHostProcessor } from './pull-host.processor';
import { PullHostsProcessor } from './pull-hosts.processor';
import { PullItemProcessor } from './pull-item.processor';
import { PullItemsProcessor } from './pull-items.processor';
import { PushHostProcessor } from './push-host.processor';
import { PushItemProcessor } from './push-item.processor';

/** One processor per sync task type, each calling one SyncService method. */
export const SYNC_PROCESSORS = [
  PullHostsProcessor,
  PullItemsProcessor,
  PullHostProcessor,
  PullItemProcessor,
  PushHostProcessor,
  PushItemProcessor,
];

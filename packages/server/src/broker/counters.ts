/** Plain counters the broker bumps on its hot path; metrics read them at scrape time. */

export interface DeliveryCounters {
  deliveries: number;
  drops: number;
  gaps: number;
  slowConsumerCloses: number;
  sendErrors: number;
  /** The most any subscriber ever held in its own queue, in bytes. */
  peakQueueBytes: number;
  /** The most any subscriber's socket ever held unsent right after a send, in bytes. */
  peakBufferedBytes: number;
}

export function newCounters(): DeliveryCounters {
  return { deliveries: 0, drops: 0, gaps: 0, slowConsumerCloses: 0, sendErrors: 0, peakQueueBytes: 0, peakBufferedBytes: 0 };
}

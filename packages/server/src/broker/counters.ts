/** Plain counters the broker bumps on its hot path; metrics read them at scrape time. */

export interface DeliveryCounters {
  deliveries: number;
  drops: number;
  gaps: number;
  slowConsumerCloses: number;
  sendErrors: number;
}

export function newCounters(): DeliveryCounters {
  return { deliveries: 0, drops: 0, gaps: 0, slowConsumerCloses: 0, sendErrors: 0 };
}

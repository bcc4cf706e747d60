// The Publisher port: how HQ sends to a station (acks, authorisation responses, configs,
// commands). The MQTT adapter implements it; tests may record calls instead.

export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

export interface Publisher {
  /** Resolves when the broker acknowledged (QoS 1) or the packet was written (QoS 0). */
  publish(topic: string, payload: Uint8Array, options: PublishOptions): Promise<void>;
}

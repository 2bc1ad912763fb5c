import { CHANNELS, channelKind, channelTarget, type Channel, type ChannelKind } from '$shared/channels.ts';
import type { IconName } from './icons.ts';

/**
 * A channel kind's icon, from the channel table (shared/channels.ts). The
 * return type makes the build fail while the table names an icon that
 * icons.ts does not draw.
 */
export function channelIcon(kind: ChannelKind): IconName {
  return CHANNELS[kind].icon;
}

/** How a channel is named in a list: its target (a URL, a chat id, a number), or for kinds without one the kind itself. */
export function channelName(channel: Channel): string {
  return channelTarget(channel) || channelKind(channel);
}

import { details, headline, post, targetOf, type Notifier } from './notifier.ts';

export interface TelegramSettings {
  /** TELEGRAM_BOT_TOKEN: the bot that writes (BotFather). */
  botToken?: string | undefined;
  /** TELEGRAM_API_URL: the Bot API (default https://api.telegram.org). */
  apiUrl: string;
}

/** A message from the glasswatch bot to the chat of a `telegram:<chat id>` channel (Bot API sendMessage). */
export function createTelegramNotifier(settings: TelegramSettings): Notifier {
  return {
    kind: 'telegram',
    notConfigured: () => (settings.botToken ? null : 'Telegram is not configured (set TELEGRAM_BOT_TOKEN)'),
    async send(n, signal) {
      if (!settings.botToken) throw new Error('Telegram is not configured');
      const chatId = targetOf(n);
      await post(
        `${settings.apiUrl.replace(/\/$/, '')}/bot${settings.botToken}/sendMessage`,
        { chat_id: /^-?\d+$/.test(chatId) ? Number(chatId) : chatId, text: `${headline(n)}\n\n${details(n)}`, disable_web_page_preview: true },
        signal,
      );
    },
  };
}

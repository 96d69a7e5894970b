// The transport of the web build served to browser guests.
import { webTransport } from './transport-web';

export const transport = webTransport();

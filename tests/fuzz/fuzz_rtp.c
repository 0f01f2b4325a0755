/**
 * @file fuzz_rtp.c  libFuzzer target: bytes as datagrams arriving on a
 * media stream's RTP and RTCP ports (media/stats.c).
 *
 * The input is records: a byte whose low bit says RTP (0) or RTCP (1)
 * and whose other bits advance the arrival time, two bytes of length
 * (big-endian), then the datagram.  No socket: what a stream would hand
 * over, counted and dropped or analysed, never a crash.  A time byte
 * with bit 1 set makes it SRTP/SRTCP (media/sdes.c): the datagram is
 * unprotected first, as is, or (bit 2) after being protected with the
 * same key, with bit 3 flipping its last byte on the way.
 */

#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "sdes.h"
#include "stats.h"


static int print_h(const char *p, size_t size, void *arg)
{
	(void)p;
	(void)size;
	(void)arg;
	return 0;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct re_printf pf = {print_h, NULL};
	struct media_rx *rx = NULL;
	struct media_srtp *tx = NULL, *srx = NULL;
	uint8_t key[SDES_KEY_LEN];
	struct media_rx_figs f;
	uint64_t now = 1000;
	size_t off = 0;
	struct sa src;

	if (media_rx_alloc(&rx, 100))
		return 0;

	memset(key, 0x5a, sizeof(key));
	if (media_srtp_alloc(&tx, key, NULL) ||
	    media_srtp_alloc(&srx, NULL, key))
		goto out;

	(void)sa_set_str(&src, "127.0.0.1", 4000);
	media_rx_expect(rx, 0, 101, &src);
	media_rx_start(rx, now);

	while (off + 3 <= size) {
		const uint8_t kind = data[off];
		size_t n = (size_t)data[off + 1] << 8 | data[off + 2];
		struct mbuf mb;

		off += 3;
		if (n > size - off)
			n = size - off;

		memset(&mb, 0, sizeof(mb));
		mb.buf = (uint8_t *)(uintptr_t)(data + off);
		mb.size = mb.end = n;
		now += kind >> 1;

		if ((kind & 2) && n <= MEDIA_PKT_MAX) {
			uint8_t buf[MEDIA_PKT_MAX + SDES_OVERHEAD + 16];

			memcpy(buf, data + off, n);
			mb.buf = buf;
			mb.size = sizeof(buf);
			if ((kind & 4) &&
			    !media_srtp_protect(tx, &mb, kind & 1) &&
			    (kind & 8) && mb.end)
				buf[mb.end - 1] ^= 1;
			if (media_srtp_unprotect(srx, &mb, kind & 1))
				media_rx_srtp_fail(rx);
			else if (kind & 1)
				(void)media_rx_rtcp(rx, &mb);
			else
				(void)media_rx_packet(rx, &src, &mb, now);
		}
		else if (kind & 1)
			(void)media_rx_rtcp(rx, &mb);
		else
			(void)media_rx_packet(rx, &src, &mb, now);
		off += n;
	}

	media_rx_figs(rx, now, &f);
	if (f.audio + f.tev + f.pt_unexpected != f.packets)
		abort();
	(void)media_rx_figs_json(&pf, &f);

 out:
	mem_deref(tx);
	mem_deref(srx);
	mem_deref(rx);

	return 0;
}

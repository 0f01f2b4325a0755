/**
 * @file pcap.c  trace.pcap: every SIP message the harness sent or
 * received, in the classic libpcap format (microsecond timestamps,
 * little-endian) with linktype 101 (LINKTYPE_RAW: each record an IPv4 or
 * IPv6 packet).  UDP messages are UDP datagrams; TCP messages are TCP
 * segments (PSH+ACK) whose sequence and acknowledgement numbers follow
 * each connection's bytes, so tshark and Wireshark dissect SIP over TCP.
 * TLS messages are written as the TCP segments of their plain text (the
 * harness sees them before encryption).  The timestamps are the wall
 * clock at which the harness saw each message; checksums are computed.
 */

#include <string.h>
#include <re.h>
#include "runner.h"
#include "report.h"


struct pcap_flow {
	struct sa src;
	struct sa dst;
	uint32_t next;                  /* the next byte's sequence number   */
};

enum { IP4_HLEN = 20, IP6_HLEN = 40, UDP_HLEN = 8, TCP_HLEN = 20 };


static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}


static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}


static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}


static uint32_t csum_add(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);

	return sum;
}


uint16_t report_inet_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	return (uint16_t)~csum_add(p, len, sum);
}


static int out(struct re_printf *pf, const void *p, size_t len)
{
	return pf->vph(p, len, pf->arg);
}


int report_pcap_header(struct re_printf *pf)
{
	uint8_t h[PCAP_HDR_LEN];

	put32le(h, PCAP_MAGIC);
	h[4] = 2;  h[5] = 0;            /* version 2.4                       */
	h[6] = 4;  h[7] = 0;
	put32le(h + 8, 0);              /* thiszone                          */
	put32le(h + 12, 0);             /* sigfigs                           */
	put32le(h + 16, PCAP_SNAPLEN);
	put32le(h + 20, PCAP_LINKTYPE_RAW);

	return out(pf, h, sizeof(h));
}


void report_pcap_state_reset(struct pcap_state *st)
{
	if (!st)
		return;

	st->flowv = mem_deref(st->flowv);
	st->flowc = 0;
	st->flowcap = 0;
}


static struct pcap_flow *flow_get(struct pcap_state *st, const struct sa *src,
				  const struct sa *dst)
{
	struct pcap_flow *f;

	for (size_t i = 0; i < st->flowc; i++) {
		f = &st->flowv[i];
		if (sa_cmp(&f->src, src, SA_ALL) &&
		    sa_cmp(&f->dst, dst, SA_ALL))
			return f;
	}

	if (st->flowc == st->flowcap) {
		size_t cap = st->flowcap ? st->flowcap * 2 : 16;
		void *v;

		/* libre 1.1.0: mem_realloc(NULL, n) returns NULL */
		v = st->flowv ? mem_realloc(st->flowv, cap * sizeof(*f)) :
			mem_zalloc(cap * sizeof(*f), NULL);
		if (!v)
			return NULL;
		st->flowv = v;
		st->flowcap = cap;
	}

	f = &st->flowv[st->flowc++];
	memset(f, 0, sizeof(*f));
	f->src = *src;
	f->dst = *dst;
	/* a plausible initial sequence number, the same for the same flow */
	f->next = sa_hash(src, SA_ALL) * 2654435761u ^ sa_hash(dst, SA_ALL);

	return f;
}


/* an address of the packet's family; an unset one becomes loopback */
static void addr_bytes(uint8_t *p, const struct sa *sa, int af)
{
	if (af == AF_INET) {
		if (sa_af(sa) == AF_INET)
			memcpy(p, &sa->u.in.sin_addr, 4);
		else
			put32(p, 0x7f000001);
	}
	else {
		if (sa_af(sa) == AF_INET6)
			memcpy(p, &sa->u.in6.sin6_addr, 16);
		else {
			memset(p, 0, 16);
			p[15] = 1;
		}
	}
}


/* one record: IP header, UDP or TCP header, payload */
static int packet(struct re_printf *pf, struct pcap_state *st,
		  const struct run_msg *m, bool tcp, uint32_t seq,
		  uint32_t ack, const char *pay, size_t len)
{
	uint8_t h[PCAP_REC_LEN + IP6_HLEN + TCP_HLEN], pseudo[40];
	int af = sa_af(&m->src) == AF_INET6 || sa_af(&m->dst) == AF_INET6 ?
		AF_INET6 : AF_INET;
	size_t iph = af == AF_INET ? IP4_HLEN : IP6_HLEN;
	size_t l4h = tcp ? TCP_HLEN : UDP_HLEN;
	size_t tot = iph + l4h + len;
	uint8_t *ip = h + PCAP_REC_LEN, *l4 = ip + iph;
	uint8_t proto = tcp ? 6 : 17;
	uint32_t sum;
	uint16_t c;
	int err;

	if (iph + l4h + len > 0xffff + (af == AF_INET6 ? IP6_HLEN : 0))
		return EMSGSIZE;

	memset(h, 0, sizeof(h));

	/* the record header */
	put32le(h, (uint32_t)(m->wall_us / 1000000));
	put32le(h + 4, (uint32_t)(m->wall_us % 1000000));
	put32le(h + 8, (uint32_t)tot);
	put32le(h + 12, (uint32_t)tot);

	/* IP */
	if (af == AF_INET) {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)tot);
		put16(ip + 4, st->ip_id++);
		put16(ip + 6, 0x4000);          /* don't fragment            */
		ip[8] = 64;
		ip[9] = proto;
		addr_bytes(ip + 12, &m->src, af);
		addr_bytes(ip + 16, &m->dst, af);
		put16(ip + 10, report_inet_csum(ip, IP4_HLEN, 0));

		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = proto;
		put16(pseudo + 10, (uint16_t)(l4h + len));
		sum = csum_add(pseudo, 12, 0);
	}
	else {
		put32(ip, 0x60000000);
		put16(ip + 4, (uint16_t)(l4h + len));
		ip[6] = proto;
		ip[7] = 64;
		addr_bytes(ip + 8, &m->src, af);
		addr_bytes(ip + 24, &m->dst, af);

		memcpy(pseudo, ip + 8, 32);
		put32(pseudo + 32, (uint32_t)(l4h + len));
		pseudo[36] = pseudo[37] = pseudo[38] = 0;
		pseudo[39] = proto;
		sum = csum_add(pseudo, 40, 0);
	}

	/* UDP or TCP */
	put16(l4, sa_port(&m->src));
	put16(l4 + 2, sa_port(&m->dst));
	if (tcp) {
		put32(l4 + 4, seq);
		put32(l4 + 8, ack);
		l4[12] = (TCP_HLEN / 4) << 4;
		l4[13] = 0x18;                  /* PSH, ACK                  */
		put16(l4 + 14, 65535);
	}
	else {
		put16(l4 + 4, (uint16_t)(UDP_HLEN + len));
	}

	sum = csum_add(l4, l4h, sum);
	sum = csum_add((const uint8_t *)pay, len, sum);
	c = (uint16_t)~sum;
	if (!tcp && !c)
		c = 0xffff;                     /* 0 means "none" in UDP     */
	put16(l4 + (tcp ? 16 : 6), c);

	err = out(pf, h, PCAP_REC_LEN + iph + l4h);
	if (!err && len)
		err = out(pf, pay, len);

	return err;
}


int report_pcap_msg(struct re_printf *pf, struct pcap_state *st,
		    const struct run_msg *m)
{
	const char *text = m->text ? m->text : "";
	size_t len = strlen(text);
	struct pcap_flow *fw, *bw;
	int err = 0;

	if (!pf || !st)
		return EINVAL;

	if (m->tp == SIP_TRANSP_UDP || m->tp == SIP_TRANSP_NONE)
		return packet(pf, st, m, false, 0, 0, text, len);

	/* a stream: segments numbered by the bytes of each direction */
	fw = flow_get(st, &m->src, &m->dst);
	bw = fw ? flow_get(st, &m->dst, &m->src) : NULL;
	if (!fw || !bw)
		return ENOMEM;

	/* flow_get may move the array: look the forward one up again */
	fw = flow_get(st, &m->src, &m->dst);

	for (size_t off = 0; off < len && !err;) {
		size_t n = len - off > PCAP_TCP_MSS ? PCAP_TCP_MSS : len - off;

		err = packet(pf, st, m, true, fw->next, bw->next, text + off,
			     n);
		fw->next += (uint32_t)n;
		off += n;
	}

	return err;
}


int report_pcap_pkt(struct re_printf *pf, struct pcap_state *st,
		    const struct run_pkt *p)
{
	struct run_msg m;

	if (!pf || !st || !p)
		return EINVAL;

	memset(&m, 0, sizeof(m));
	m.wall_us = p->wall_us;
	m.src = p->src;
	m.dst = p->dst;

	return packet(pf, st, &m, false, 0, 0, (const char *)p->data, p->len);
}


/* a scenario's SIP messages and other packets, in the order they crossed
 * the wire */
static int scenario_records(struct re_printf *pf, struct pcap_state *st,
			    const struct run_result *res)
{
	size_t i = 0, j = 0;
	int err = 0;

	while (!err && (i < res->msgc || j < res->pktc)) {
		if (j >= res->pktc || (i < res->msgc &&
				       res->msgv[i].wall_us <=
				       res->pktv[j].wall_us))
			err = report_pcap_msg(pf, st, &res->msgv[i++]);
		else
			err = report_pcap_pkt(pf, st, &res->pktv[j++]);

		if (err == EMSGSIZE)    /* cannot be: it was sent */
			err = 0;
	}

	return err;
}


int report_pcap(struct re_printf *pf, const struct report_run *run)
{
	struct pcap_state st;
	int err;

	if (!pf || !run)
		return EINVAL;

	memset(&st, 0, sizeof(st));

	err = report_pcap_header(pf);

	for (size_t i = 0; i < run->entryc && !err; i++) {
		const struct run_result *res = run->entryv[i].res;

		/* each scenario has its own connections */
		report_pcap_state_reset(&st);

		if (res)
			err = scenario_records(pf, &st, res);
	}

	report_pcap_state_reset(&st);

	return err;
}

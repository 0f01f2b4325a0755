/**
 * @file media.c  The media of a scenario's calls in the reports (walk.h):
 * a row per phone and direction with the figures, the one-way verdict,
 * and in HTML the received audio as an embedded WAV with its waveform.
 */

#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "stats.h"
#include "walk.h"

enum {
	WAVE_W = 240,   /* the waveform's width in px: one bar per column */
	WAVE_H = 32,
};

/* the direction rows, in the order every writer prints them */
struct media_row {
	const char *name;
	const char *word;
	const char *one_way;     /* the verdict when the direction is */
};

static const struct media_row rows[] = {
	{"rx", "received", "no RTP received"},
	{"tx", "sent",     "no RTP sent"},
};


static const char *codec_name(int pt)
{
	return pt == 0 ? "PCMU" : pt == 8 ? "PCMA" : "none";
}


static const struct run_media_dir *dir_of(const struct run_media *m,
					  const struct media_row *row)
{
	return row == &rows[0] ? &m->rx : &m->tx;
}


/* the tone heard (rx) or sent (tx) */
static int tone(struct re_printf *pf, const struct run_media_dir *d)
{
	if (d->tone_hz)
		return re_hprintf(pf, "%u Hz", d->tone_hz);

	return re_hprintf(pf, "%s", d->silent ? "silence" : "none");
}


static int first(struct re_printf *pf, const struct run_media_dir *d)
{
	if (d->first_ms < 0)
		return re_hprintf(pf, "none");

	return re_hprintf(pf, "%lld ms", (long long)d->first_ms);
}


/* ---------------------------------------------------------------- JSON */

static int json_dir(struct re_printf *pf, const struct run_media_dir *d)
{
	return re_hprintf(pf, "{\"packets\":%u,\"bytes\":%llu,"
			  "\"first_ms\":%lld,\"lost\":%u,\"jitter_ms\":%.2f,"
			  "\"tone_hz\":%u,\"silent\":%s,\"digits\":\"%s\","
			  "\"one_way\":%s}", d->packets,
			  (unsigned long long)d->bytes, (long long)d->first_ms,
			  d->lost, d->jitter_ms, d->tone_hz,
			  d->silent ? "true" : "false", d->digits,
			  d->one_way ? "true" : "false");
}


int report_media_json(struct re_printf *pf, const struct run_result *res)
{
	int err = re_hprintf(pf, ",\n    \"media\":[");

	for (size_t i = 0; res && i < res->mediac && !err; i++) {
		const struct run_media *m = &res->mediav[i];

		err |= re_hprintf(pf, "%s\n      {\"phone\":", i ? "," : "");
		err |= report_json_str(pf, m->phone);
		err |= re_hprintf(pf, ",\"call_id\":");
		err |= report_json_str(pf, m->callid);
		err |= re_hprintf(pf, ",\"codec\":\"%s\",\"one_way\":%s,"
				  "\"audio_samples\":%zu", codec_name(m->pt),
				  m->rx.one_way || m->tx.one_way ? "true" :
				  "false", m->pcmc);
		for (size_t j = 0; j < ARRAY_SIZE(rows); j++) {
			err |= re_hprintf(pf, ",\"%s\":", rows[j].name);
			err |= json_dir(pf, dir_of(m, &rows[j]));
		}
		err |= re_hprintf(pf, "}");
	}

	return err | re_hprintf(pf, "]");
}


/* ------------------------------------------------------------ Markdown */

int report_media_md(struct re_printf *pf, const struct run_result *res)
{
	int err = 0;

	if (!res || !res->mediac)
		return 0;

	err |= re_hprintf(pf, "\n| Phone | Dir | Codec | Packets | Bytes | "
			  "First packet | Lost | Jitter | Tone | Digits | "
			  "One-way |\n|---|---|---|--:|--:|--:|--:|--:|--:|"
			  "---|---|\n");

	for (size_t i = 0; i < res->mediac && !err; i++) {
		const struct run_media *m = &res->mediav[i];

		for (size_t j = 0; j < ARRAY_SIZE(rows); j++) {
			const struct run_media_dir *d = dir_of(m, &rows[j]);

			err |= re_hprintf(pf, "| ");
			err |= report_md_str(pf, m->phone, true);
			err |= re_hprintf(pf, " | %s | %s | %u | %llu | ",
					  rows[j].name, codec_name(m->pt),
					  d->packets,
					  (unsigned long long)d->bytes);
			err |= first(pf, d);
			if (d == &m->rx)
				err |= re_hprintf(pf, " | %u | %.1f ms | ",
						  d->lost, d->jitter_ms);
			else
				err |= re_hprintf(pf, " | - | - | ");
			err |= tone(pf, d);
			err |= re_hprintf(pf, " | %s | ", d->digits[0] ?
					  d->digits : "-");
			if (d->one_way)
				err |= re_hprintf(pf, "**one-way audio:** %s "
						  "(MEDIA-RTP-3)",
						  rows[j].one_way);
			err |= re_hprintf(pf, " |\n");
		}
	}

	return err;
}


/* ---------------------------------------------------------------- HTML */

/* one bar per column: the loudest sample of its slice */
static int waveform(struct re_printf *pf, const int16_t *pcm, size_t n)
{
	int err = re_hprintf(pf, "<svg class=\"wave\" width=\"%u\" "
			     "height=\"%u\" viewBox=\"0 0 %u %u\"><path "
			     "d=\"", WAVE_W, WAVE_H, WAVE_W, WAVE_H);

	for (size_t x = 0; x < WAVE_W && !err; x++) {
		const size_t a = x * n / WAVE_W, b = (x + 1) * n / WAVE_W;
		int peak = 0;
		unsigned half;

		for (size_t i = a; i < b; i++) {
			const int s = abs((int)pcm[i]);
			if (s > peak)
				peak = s;
		}

		half = (unsigned)((int64_t)peak * (WAVE_H / 2 - 1) / 32768) + 1;
		err |= re_hprintf(pf, "M%zu %uV%u", x, WAVE_H / 2 - half,
				  WAVE_H / 2 + half);
	}

	return err | re_hprintf(pf, "\"/></svg>");
}


static int player(struct re_printf *pf, const struct run_media *m)
{
	struct mbuf *mb;
	int err;

	if (!m->pcm || !m->pcmc)
		return re_hprintf(pf, "<td class=\"noaudio\">no audio kept"
				  "</td>");

	mb = mbuf_alloc(44 + m->pcmc * 2);
	if (!mb)
		return ENOMEM;

	err = media_wav_encode(mb, m->pcm, m->pcmc);
	if (!err) {
		err |= re_hprintf(pf, "<td class=\"audio\"><audio controls "
				  "preload=\"none\" data-samples=\"%zu\" "
				  "src=\"data:audio/wav;base64,", m->pcmc);
		err |= base64_print(pf, mb->buf, mb->end);
		err |= re_hprintf(pf, "\"></audio>");
		err |= waveform(pf, m->pcm, m->pcmc);
		err |= re_hprintf(pf, "</td>");
	}

	mem_deref(mb);

	return err;
}


int report_media_html(struct re_printf *pf, const struct run_result *res)
{
	int err = 0;

	if (!res || !res->mediac)
		return 0;

	err |= re_hprintf(pf, "<table class=\"media\" data-calls=\"%zu\">"
			  "<tr><th>phone</th><th>dir</th><th>codec</th>"
			  "<th>packets</th><th>bytes</th><th>first packet</th>"
			  "<th>lost</th><th>jitter</th><th>tone</th>"
			  "<th>digits</th><th>verdict</th><th>audio heard"
			  "</th></tr>\n", res->mediac);

	for (size_t i = 0; i < res->mediac && !err; i++) {
		const struct run_media *m = &res->mediav[i];

		for (size_t j = 0; j < ARRAY_SIZE(rows); j++) {
			const struct media_row *row = &rows[j];
			const struct run_media_dir *d = dir_of(m, row);
			const char *ow = d->one_way ? row->one_way : NULL;

			err |= re_hprintf(pf, "<tr class=\"m-%s%s\" "
					  "data-phone=\"", row->name,
					  ow ? " oneway" : "");
			err |= report_html_str(pf, m->phone);
			err |= re_hprintf(pf, "\" title=\"Call-ID ");
			err |= report_html_str(pf, m->callid);
			err |= re_hprintf(pf, "\"><td>");
			err |= report_html_str(pf, m->phone);
			err |= re_hprintf(pf, "</td><td>%s</td><td>%s</td>"
					  "<td>%u</td><td>%llu</td><td>",
					  row->word,
					  codec_name(m->pt), d->packets,
					  (unsigned long long)d->bytes);
			err |= first(pf, d);
			if (d == &m->rx)
				err |= re_hprintf(pf, "</td><td>%u</td><td>%.1f "
						  "ms</td><td>", d->lost,
						  d->jitter_ms);
			else
				err |= re_hprintf(pf, "</td><td></td><td></td>"
						  "<td>");
			err |= tone(pf, d);
			err |= re_hprintf(pf, "</td><td>%s</td><td>",
					  d->digits);
			if (ow)
				err |= re_hprintf(pf, "<b class=\"oneway\">"
						  "one-way audio: %s "
						  "(MEDIA-RTP-3)</b>", ow);
			err |= re_hprintf(pf, "</td>");
			if (d == &m->rx)
				err |= player(pf, m);
			else
				err |= re_hprintf(pf, "<td></td>");
			err |= re_hprintf(pf, "</tr>\n");
		}
	}

	return err | re_hprintf(pf, "</table>\n");
}

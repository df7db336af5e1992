package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"parley/net/proto"
	"parley/searchtext"
)

// The benchmarks run against every implementation (BenchmarkSQLite,
// BenchmarkMemory). Goals from the issue: opening a conversation with
// 100,000 cached messages (its first page of 50) ≤ 20 ms; inserting 10,000
// received messages in one batch ≤ 200 ms; a search over 100,000 messages
// ≤ 50 ms.

var (
	benchZh = strings.Fields(`你好 大家 我们 今天 明天 昨天 晚上 早上 中午 下午 会议 项目 文件 报告 图片 电话 问题 时间
		地方 学校 老师 同学 朋友 公司 工作 吃饭 睡觉 回家 出去 看看 知道 觉得 可以 应该 已经 还是 但是
		因为 所以 如果 然后 现在 一起 一下 一点 不错 谢谢 没事 好的 收到 明白 马上 稍等 周末 下周 上周
		北京 上海 广州 深圳 天气 下雨 太阳 电影 音乐 游戏 篮球 足球 考试 作业 论文 代码 服务器 数据库
		手机 电脑 网络 密码 账号 群组 消息 通知 语音 视频 照片 生日 快乐 加油 辛苦 休息 咖啡 奶茶 火锅`)
	benchEn = strings.Fields(`hello hi thanks okay sure meeting project file report photo call problem time
		place school teacher friend company work lunch dinner home later today tomorrow yesterday
		morning evening weekend next week server database code review deploy build test release
		bug fix issue branch merge commit please could would should maybe really great nice cool
		music movie game coffee tea weather rain sunny birthday happy password account group voice`)
)

// benchText returns a chat-like message: 60% Chinese, 40% English, 3 to 12
// words from small vocabularies.
func benchText(r *rand.Rand) string {
	n := 3 + r.IntN(10)
	words := make([]string, n)
	if r.IntN(10) < 6 {
		for i := range words {
			words[i] = benchZh[r.IntN(len(benchZh))]
		}
		return strings.Join(words, "") + "。"
	}
	for i := range words {
		words[i] = benchEn[r.IntN(len(benchEn))]
	}
	return strings.Join(words, " ")
}

// benchMessages returns n messages of conv starting at seq from, one a
// second from start (Unix ms).
func benchMessages(r *rand.Rand, conv proto.ConvID, from int64, n int, start int64) []proto.Message {
	ms := make([]proto.Message, n)
	for i := range ms {
		seq := from + int64(i)
		ms[i] = proto.Message{
			Conv: conv, Seq: seq, ClientID: fmt.Sprintf("k%d-%d", conv, seq),
			Sender: proto.UserID(1000 + r.IntN(20)), SenderName: "李华",
			Time: start + int64(i)*1000, Kind: proto.MsgText, Text: benchText(r),
		}
	}
	return ms
}

// fill stores n messages in conversation conv, in batches, and returns
// their texts.
func fill(b *testing.B, s Store, r *rand.Rand, conv proto.ConvID, n int) []string {
	b.Helper()
	var texts []string
	for from := 1; from <= n; from += 10_000 {
		ms := benchMessages(r, conv, int64(from), min(10_000, n-from+1), t0+int64(from)*1000)
		if _, err := s.PutMessages(context.Background(), ms); err != nil {
			b.Fatal(err)
		}
		for _, m := range ms {
			texts = append(texts, m.Text)
		}
	}
	return texts
}

func runBenchmarks(b *testing.B, open func(b *testing.B) Store) {
	ctx := context.Background()

	b.Run("OpenConversation100k", func(b *testing.B) {
		s := open(b)
		r := rand.New(rand.NewPCG(1, 2))
		fill(b, s, r, 1, 100_000)
		fill(b, s, r, 2, 1_000) // another conversation alongside
		for b.Loop() {
			if _, err := s.Conversation(ctx, 1); err != nil {
				b.Fatal(err)
			}
			ms, err := s.Latest(ctx, 1, 50)
			if err != nil || len(ms) != 50 {
				b.Fatal(len(ms), err)
			}
		}
	})

	b.Run("ScrollBack100k", func(b *testing.B) { // one page further back, from the middle
		s := open(b)
		fill(b, s, rand.New(rand.NewPCG(1, 2)), 1, 100_000)
		seq := int64(50_000)
		for b.Loop() {
			ms, err := s.Before(ctx, 1, seq, 50)
			if err != nil || len(ms) != 50 {
				b.Fatal(len(ms), err)
			}
		}
	})

	// New messages arriving in a conversation with 10,000 cached, next to
	// 100,000 cached in others: their keys come after every stored one.
	b.Run("Put10kReceived", func(b *testing.B) {
		s := open(b)
		r := rand.New(rand.NewPCG(3, 4))
		fill(b, s, r, 1, 100_000)
		fill(b, s, r, 2, 10_000)
		seq, start := int64(10_001), t0+int64(200_000)*1000
		for b.Loop() {
			b.StopTimer()
			ms := benchMessages(r, 2, seq, 10_000, start)
			seq, start = seq+10_000, start+10_000*1000
			b.StartTimer()
			if n, err := s.PutMessages(ctx, ms); err != nil || n != len(ms) {
				b.Fatal(n, err)
			}
		}
	})

	// Older history fetched by scrolling back: its times fall among the
	// 100,000 messages cached in another conversation.
	b.Run("Put10kBackfill", func(b *testing.B) {
		s := open(b)
		r := rand.New(rand.NewPCG(3, 4))
		fill(b, s, r, 1, 100_000)
		conv := proto.ConvID(1)
		for b.Loop() {
			b.StopTimer()
			conv++
			ms := benchMessages(r, conv, 1, 10_000, t0+500) // interleaved with conversation 1
			b.StartTimer()
			if n, err := s.PutMessages(ctx, ms); err != nil || n != len(ms) {
				b.Fatal(n, err)
			}
		}
	})

	b.Run("Search100k", func(b *testing.B) {
		s := open(b)
		r := rand.New(rand.NewPCG(5, 6))
		var texts []string
		for c := proto.ConvID(1); c <= 20; c++ { // 20 conversations of 5,000
			texts = append(texts, fill(b, s, r, c, 5_000)...)
		}
		for _, q := range []string{"你好", "hello", "服务器", "北京天气", "咖", "天", "deploy server", "xyzzy"} {
			matching := 0 // how many of the 100,000 match, to read the timings by
			for _, text := range texts {
				if searchtext.Matches(searchtext.IndexTokens(text), searchtext.ParseQuery(q)) {
					matching++
				}
			}
			b.Run(q, func(b *testing.B) {
				var hits int
				for b.Loop() {
					ms, err := s.Search(ctx, SearchQuery{Text: q, Limit: 50})
					if err != nil {
						b.Fatal(err)
					}
					hits = len(ms)
				}
				b.ReportMetric(float64(hits), "results")
				b.ReportMetric(float64(matching), "matching")
			})
		}
	})
}

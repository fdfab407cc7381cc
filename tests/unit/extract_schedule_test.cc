// Extract schedules (when runs fall due) and package retention, against a real store in a
// temporary directory with an adjustable clock standing in for the server's.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/guid.h"
#include "extract/extracts.h"
#include "extract/schedule.h"
#include "workspace/users.h"

namespace arenite::extract {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kStart = 1796290875;  // 2026-12-03T09:41:15Z, a Thursday

Schedule Parse(const json::Json& body, int64_t now = kStart) {
  auto s = ParseSchedule(body, now);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? *s : Schedule{};
}

TEST(ExtractSchedule, DailyRunsAtTheTimeOfDayFromTheNextOccurrenceOn) {
  Schedule s = Parse({{"frequency", "DAILY"}, {"time", "02:30"}});
  EXPECT_EQ(FormatDateTime(s.anchor), "2026-12-04T02:30:00Z");
  EXPECT_EQ(FormatDateTime(NextRunAfter(s, kStart)), "2026-12-04T02:30:00Z");
  EXPECT_EQ(FormatDateTime(NextRunAfter(s, s.anchor)), "2026-12-05T02:30:00Z");
  Schedule later = Parse({{"frequency", "DAILY"}, {"time", "09:45"}});
  EXPECT_EQ(FormatDateTime(later.anchor), "2026-12-03T09:45:00Z");
}

TEST(ExtractSchedule, HourlyWithAnIntervalKeepsThePhaseOfItsTime) {
  Schedule s = Parse({{"frequency", "HOURLY"}, {"interval", 6}, {"time", "02:15"}});
  // Instants 02:15, 08:15, 14:15, 20:15: the next after 09:41 is 14:15 on the same day.
  EXPECT_EQ(FormatDateTime(NextRunAfter(s, kStart)), "2026-12-03T14:15:00Z");
  Schedule every = Parse({{"frequency", "HOURLY"}, {"time", "00:50"}});
  EXPECT_EQ(FormatDateTime(NextRunAfter(every, kStart)), "2026-12-03T09:50:00Z");
}

TEST(ExtractSchedule, WeeklyRunsOnItsDayEveryIntervalWeeks) {
  Schedule s =
      Parse({{"frequency", "WEEKLY"}, {"interval", 2}, {"time", "06:00"}, {"dayOfWeek", "MONDAY"}});
  EXPECT_EQ(FormatDateTime(s.anchor), "2026-12-07T06:00:00Z");
  EXPECT_EQ(FormatDateTime(NextRunAfter(s, s.anchor + 1)), "2026-12-21T06:00:00Z");
  Schedule today = Parse({{"frequency", "WEEKLY"}, {"time", "10:00"}, {"dayOfWeek", "THURSDAY"}});
  EXPECT_EQ(FormatDateTime(today.anchor), "2026-12-03T10:00:00Z");
}

TEST(ExtractSchedule, StoredFormReadsBackWithItsAnchor) {
  Schedule s = Parse({{"frequency", "WEEKLY"}, {"time", "23:59"}, {"dayOfWeek", "SUNDAY"}});
  json::Json stored = ScheduleJson(s);
  EXPECT_EQ(stored["dayOfWeek"], "SUNDAY");
  EXPECT_EQ(stored["time"], "23:59");
  auto back = ScheduleFromStored(stored);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->anchor, s.anchor);
  EXPECT_EQ(back->day_of_week, 0);
}

TEST(ExtractSchedule, BadSchedulesAreRefused) {
  for (const json::Json& bad : std::vector<json::Json>{
           {{"frequency", "MONTHLY"}},
           {{"frequency", "DAILY"}, {"time", "24:00"}},
           {{"frequency", "DAILY"}, {"time", "2:30"}},
           {{"frequency", "DAILY"}, {"interval", 0}},
           {{"frequency", "DAILY"}, {"interval", 1000}},
           {{"frequency", "DAILY"}, {"dayOfWeek", "MONDAY"}},
           {{"frequency", "WEEKLY"}, {"time", "01:00"}},
           {{"frequency", "WEEKLY"}, {"dayOfWeek", "Funday"}},
           {{"frequency", "DAILY"}, {"every", 2}},
           json::Json::array(),
       }) {
    auto s = ParseSchedule(bad, kStart);
    ASSERT_FALSE(s.ok()) << bad.dump();
    EXPECT_EQ(s.error().status, 400) << bad.dump();
  }
}

class ExtractSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.SetMillis(kStart * 1000);
    dir_ = fs::temp_directory_path() / ("arenite-sched-" + NewGuid());
    auto opened = cli::OpenDataDir(dir_.string(), true);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    workspace::Users users(*store_, clock_);
    auto made = users.CreateWorkspace(
        "Acme", {"admin@acme.test", "Admin", workspace::Role::kAdmin, "a long password 1"});
    ASSERT_TRUE(made.ok()) << made.error().message;
    workspace_ = made->first.guid;
    admin_ = made->second.guid;
    Open();
  }
  void TearDown() override {
    extracts_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  void Open() { extracts_ = std::make_unique<Extracts>(*store_, clock_, packages()); }
  std::string packages() const { return (dir_ / "extracts").string(); }

  std::string Define(const json::Json& schedule) {
    json::Json body = {{"name", "Feed"}, {"views", {"Items_Summary"}}};
    if (!schedule.is_null()) body["schedule"] = schedule;
    auto made = extracts_->Create(workspace_, "user:" + admin_, body);
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message);
    return made.ok() ? (*made)["guid"].get<std::string>() : "";
  }

  // Waits until no run is in process; returns the extract's runs, newest first.
  json::Json Settled(const std::string& extract) {
    extracts_->WaitIdle();
    auto runs = extracts_->ListRuns(workspace_, extract, "", 0, 400);
    EXPECT_TRUE(runs.ok());
    return runs.ok() ? *runs : json::Json::array();
  }

  AdjustableClock clock_;
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Extracts> extracts_;
  std::string workspace_, admin_;
};

TEST_F(ExtractSchedulerTest, ADueScheduleStartsOneRunAndMovesPastNow) {
  std::string extract = Define({{"frequency", "HOURLY"}, {"time", "00:30"}});
  auto shown = extracts_->Get(workspace_, extract);
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ((*shown)["schedule"]["nextRunDateTime"], "2026-12-03T10:30:00Z");
  EXPECT_EQ((*shown)["owners"][0]["guid"], admin_);
  EXPECT_EQ((*shown)["owners"][0]["email"], "admin@acme.test");

  EXPECT_EQ(*extracts_->RunDueSchedules(), 0);  // 09:41: not yet
  clock_.Advance(50 * 60 * 1000);               // 10:31
  EXPECT_EQ(*extracts_->RunDueSchedules(), 1);
  json::Json runs = Settled(extract);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["trigger"], "SCHEDULE");
  EXPECT_EQ(runs[0]["status"], "Completed");
  EXPECT_EQ(*extracts_->RunDueSchedules(), 0);  // the 10:30 run is done; next is 11:30
  EXPECT_EQ((*extracts_->Get(workspace_, extract))["schedule"]["nextRunDateTime"],
            "2026-12-03T11:30:00Z");
}

TEST_F(ExtractSchedulerTest, RunsMissedWhileTheServerWasDownRunOnceAtStart) {
  std::string extract = Define({{"frequency", "HOURLY"}, {"time", "00:30"}});
  extracts_.reset();                // the server stops at 09:41
  clock_.Advance(5 * 3600 * 1000);  // and starts again at 14:41: five instants were missed
  Open();
  ASSERT_TRUE(extracts_->RecoverInterrupted().ok());
  EXPECT_EQ(*extracts_->RunDueSchedules(), 1);
  EXPECT_EQ(*extracts_->RunDueSchedules(), 0);
  EXPECT_EQ(Settled(extract).size(), 1u);
  EXPECT_EQ((*extracts_->Get(workspace_, extract))["schedule"]["nextRunDateTime"],
            "2026-12-03T15:30:00Z");
}

TEST_F(ExtractSchedulerTest, ClearingTheScheduleStopsRuns) {
  std::string extract = Define({{"frequency", "DAILY"}, {"time", "10:00"}});
  ASSERT_TRUE(extracts_->Update(workspace_, extract, {{"schedule", nullptr}}).ok());
  clock_.Advance(86400 * 1000);
  EXPECT_EQ(*extracts_->RunDueSchedules(), 0);
  EXPECT_TRUE((*extracts_->Get(workspace_, extract))["schedule"].is_null());
}

TEST_F(ExtractSchedulerTest, RetentionRemovesOldPackagesByCountAndAgeButKeepsTheNewest) {
  extracts_->SetRetention({.keep_runs = 2, .keep_days = 1});
  std::string extract = Define(nullptr);
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i) {
    auto run = extracts_->StartRun(workspace_, extract);
    ASSERT_TRUE(run.ok());
    Settled(extract);
    json::Json shown = *extracts_->GetRun(workspace_, extract, (*run)["guid"]);
    ASSERT_EQ(shown["status"], "Completed");
    auto path = extracts_->FilePath(workspace_, extract, shown["guid"], shown["files"][0]["guid"]);
    ASSERT_TRUE(path.ok());
    paths.push_back(path->first);
    clock_.Advance(3600 * 1000);
  }
  // The third completion removed the first package: two are kept.
  json::Json runs = Settled(extract);  // newest first
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_FALSE(fs::exists(paths[0]));
  EXPECT_TRUE(runs[2].contains("filesRemovedDateTime"));
  EXPECT_TRUE(runs[2]["files"].empty());
  EXPECT_TRUE(fs::exists(paths[1]));
  EXPECT_TRUE(fs::exists(paths[2]));

  // Two days on, only the newest package stays, however old it is.
  clock_.Advance(2 * 86400 * 1000);
  EXPECT_EQ(*extracts_->ApplyRetention(), 1);
  EXPECT_FALSE(fs::exists(paths[1]));
  EXPECT_TRUE(fs::exists(paths[2]));
  EXPECT_EQ(*extracts_->ApplyRetention(), 0);
}

}  // namespace
}  // namespace arenite::extract

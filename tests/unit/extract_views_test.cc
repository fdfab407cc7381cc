// The Items_BOM view reads its children's numbers and revisions from a LabelTable: on a demo
// workspace in a real SQLite store, its rows are those of the plain join whether the table holds
// every item, some of them, or none (then every child is read from the store).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "extract/views.h"
#include "plm/demo.h"
#include "plm/schema.h"
#include "store/store.h"
#include "temp_store.h"
#include "workspace/schema.h"

namespace arenite::extract {
namespace {

using Rows = std::vector<std::vector<std::string>>;

class ExtractViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status opened = store_.Open({workspace::Migrations(), plm::Migrations()});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto filled = plm::GenerateDemoData(
        *store_,
        {.workspace = kWorkspace, .creator = "", .items = 1500, .seed = 11, .now = 1796290875});
    ASSERT_TRUE(filled.ok()) << filled.error().message;
  }

  Rows Read(const ViewSource& source) {
    Rows rows;
    Status read = store_->Read([&](store::Tx& tx) {
      return source.read(tx, [&](std::string_view trans, const std::vector<std::string_view>& v) {
        std::vector<std::string> row = {std::string(trans)};
        for (auto s : v) row.emplace_back(s);
        rows.push_back(std::move(row));
        return true;
      });
    });
    EXPECT_TRUE(read.ok()) << read.error().message;
    return rows;
  }

  // The child columns as the join the view used to run gives them, in the view's order.
  Rows Joined() {
    Rows rows;
    Status read = store_->Read([&](store::Tx& tx) {
      return tx.Query(
          "SELECT b.guid, ci.guid, ci.number, cr.revision_number FROM items pi JOIN "
          "item_revisions pr ON pr.guid = COALESCE(pi.effective_rev, pi.working_rev) JOIN "
          "bom_lines b ON b.parent_rev = pr.guid JOIN items ci ON ci.guid = b.child_item JOIN "
          "item_revisions cr ON cr.guid = COALESCE(ci.effective_rev, ci.working_rev) WHERE "
          "pi.workspace_guid = ? ORDER BY pi.created_at, pi.guid, b.line_number",
          {std::string(kWorkspace)}, [&](const store::Row& row) {
            rows.push_back({row.String(0), row.String(1), row.String(2), row.String(3)});
            return true;
          });
    });
    EXPECT_TRUE(read.ok()) << read.error().message;
    return rows;
  }

  static constexpr char kWorkspace[] = "WS000000000000000001";
  test::TempStore store_;
};

TEST_F(ExtractViewsTest, BomChildrenMatchTheJoinWithAnyLookupBudget) {
  Rows joined = Joined();
  ASSERT_GT(joined.size(), 1000u);
  bool released = false;
  for (const auto& j : joined) released = released || !j[3].empty();
  ASSERT_TRUE(released) << "some children show a released revision";

  Rows all = Read(FullView("Items_BOM", kWorkspace));
  ASSERT_EQ(all.size(), joined.size());
  for (size_t i = 0; i < all.size(); ++i) {
    // Trans Type, Guid, parent guid, number, revision, child guid, number, revision, ...
    ASSERT_EQ(all[i][1], joined[i][0]) << i;
    EXPECT_EQ(all[i][5], joined[i][1]) << i;
    EXPECT_EQ(all[i][6], joined[i][2]) << i;
    EXPECT_EQ(all[i][7], joined[i][3]) << i;
  }
  // The table filled early (after 256 look-ups, the first check past an eighth of the 1,500
  // items), none in the table (every child read from the store), and a table that fills up
  // part way (72 KiB: one 64 KiB block and the slots of 512 entries).
  EXPECT_EQ(
      Read(FullView("Items_BOM", kWorkspace, std::make_shared<ViewLookups>(kLookupBudgetBytes, 1))),
      all);
  EXPECT_EQ(Read(FullView("Items_BOM", kWorkspace, std::make_shared<ViewLookups>(0, 1))), all);
  EXPECT_EQ(Read(FullView("Items_BOM", kWorkspace, std::make_shared<ViewLookups>(72 << 10, 1))),
            all);
  LabelTable part(2, 72 << 10);
  for (const auto& j : joined) part.Add(j[1], std::vector<std::string_view>{j[2], j[3]});
  EXPECT_GT(part.size(), 100u);
  EXPECT_LT(part.size(), 1000u);
}

TEST_F(ExtractViewsTest, BomLinesOfAChildThatIsGoneAreLeftOutAsTheJoinLeftThem) {
  Status removed = store_->Write([](store::Tx& tx) -> Status {
    // A line whose child item does not exist (no foreign key guards child_item).
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE bom_lines SET child_item = 'NOSUCHITEM0000000000' WHERE rowid = "
                "(SELECT MIN(rowid) FROM bom_lines)"));
    return OkStatus();
  });
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  Rows joined = Joined();
  Rows all = Read(FullView("Items_BOM", kWorkspace));
  EXPECT_EQ(all.size(), joined.size());
  EXPECT_EQ(Read(FullView("Items_BOM", kWorkspace, std::make_shared<ViewLookups>(0, 1))), all);
  for (const auto& row : all) EXPECT_NE(row[5], "NOSUCHITEM0000000000");
}

TEST_F(ExtractViewsTest, ViewsSharingTheItemLabelsInParallelShowWhatTheJoinsShow) {
  // Items_BOM and Changes_Items read at once on two reader connections, one snapshot, one set
  // of labels filled by whichever asks first.
  auto lookups = std::make_shared<ViewLookups>();
  ViewSource bom = FullView("Items_BOM", kWorkspace, lookups);
  ViewSource affected = FullView("Changes_Items", kWorkspace, lookups);
  Rows bom_rows, affected_rows;
  auto reader = [](const ViewSource& source, Rows& rows) {
    return [&source, &rows](store::Tx& tx) {
      return source.read(tx, [&](std::string_view trans, const std::vector<std::string_view>& v) {
        std::vector<std::string> row = {std::string(trans)};
        for (auto s : v) row.emplace_back(s);
        rows.push_back(std::move(row));
        return true;
      });
    };
  };
  Status read = store_->ReadTogether({reader(bom, bom_rows), reader(affected, affected_rows)});
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(bom_rows, Read(FullView("Items_BOM", kWorkspace, std::make_shared<ViewLookups>(0, 1))));
  EXPECT_NE(lookups->Filled(), nullptr);

  Rows joined;
  Status queried = store_->Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT ci.guid, i.guid, i.number FROM change_items ci JOIN changes c ON c.guid = "
        "ci.change_guid JOIN items i ON i.guid = ci.item_guid WHERE ci.workspace_guid = ? "
        "ORDER BY ci.guid",
        {std::string(kWorkspace)}, [&](const store::Row& row) {
          joined.push_back({row.String(0), row.String(1), row.String(2)});
          return true;
        });
  });
  ASSERT_TRUE(queried.ok());
  ASSERT_GT(joined.size(), 10u);
  ASSERT_EQ(affected_rows.size(), joined.size());
  for (size_t i = 0; i < joined.size(); ++i) {
    // Trans Type, Guid, change guid, change number, item guid, item number, ...
    ASSERT_EQ(affected_rows[i][1], joined[i][0]) << i;
    EXPECT_EQ(affected_rows[i][4], joined[i][1]) << i;
    EXPECT_EQ(affected_rows[i][5], joined[i][2]) << i;
  }
}

TEST_F(ExtractViewsTest, TheLabelsAreFilledOnlyOnceLookUpsReachAnEighthOfTheItems) {
  ViewLookups lookups(kLookupBudgetBytes, 1);
  Status read = store_->Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(const LabelTable* early, lookups.FillIfWorth(tx, kWorkspace, 100));
    EXPECT_EQ(early, nullptr) << "100 look-ups are cheaper than a pass over 1,500 items";
    EXPECT_EQ(lookups.Filled(), nullptr);
    ARENITE_ASSIGN_OR_RETURN(const LabelTable* late, lookups.FillIfWorth(tx, kWorkspace, 200));
    EXPECT_NE(late, nullptr);
    if (late) EXPECT_EQ(late->size(), 1500u);
    EXPECT_EQ(lookups.Filled(), late);
    return OkStatus();
  });
  ASSERT_TRUE(read.ok()) << read.error().message;
}

}  // namespace
}  // namespace arenite::extract

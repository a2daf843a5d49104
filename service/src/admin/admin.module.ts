import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { AdminController } from './admin.controller.js';
import { AdminService } from './admin.service.js';
import { PolicyAdminController } from './policy-admin.controller.js';

/** Imported only when ADMIN_TOKEN is set: without it the admin routes do not exist (404). */
@Module({
  imports: [ModelModule, PolicyModule],
  controllers: [AdminController, PolicyAdminController],
  providers: [AdminService],
})
export class AdminModule {}

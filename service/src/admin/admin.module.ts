import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module.js';
import { AdminController } from './admin.controller.js';
import { AdminService } from './admin.service.js';

/** Imported only when ADMIN_TOKEN is set: without it the admin routes do not exist (404). */
@Module({ imports: [ModelModule], controllers: [AdminController], providers: [AdminService] })
export class AdminModule {}
